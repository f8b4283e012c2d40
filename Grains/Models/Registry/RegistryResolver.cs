using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using OrleansFlow.Jobs;

namespace OrleansFlow.Models.Registry;

/// <summary>
/// How a silo turns the names of a job into loaded things: a model name into a model (the sampler
/// directory's loader), a features or reference name into a local file. Only names: a path never
/// reaches the file system through here (the API refuses them first; this refuses them again).
/// </summary>
public sealed class RegistryResolver(ModelCache cache)
{
    public ModelCache Cache => cache;

    /// <summary>
    /// <c>gmm-demo</c> or a registry model: a package with <c>model.json</c> (libtorch) or a <c>mixture.json</c>.
    /// Blocking, as the sampler directory's loader is; the download is shared with concurrent callers.
    /// </summary>
    public IFlowModel LoadModel(string model)
    {
        if (string.Equals(model, GmmDemo.Name, StringComparison.OrdinalIgnoreCase))
        {
            return GmmDemo.Create();
        }

        var name = RegistryName.Parse(model, RegistryKind.Model.Field());
        using var entry = cache.AcquireAsync(RegistryKind.Model, name, CancellationToken.None).GetAwaiter().GetResult();
        var mixture = entry.PathOf(ModelRegistry.MixtureFile);
        if (File.Exists(mixture))
        {
            return GaussianMixtureJson.Load(mixture, name.Value);
        }

        // The manifest came from the store: its files must not lead out of the cache.
        SelfContainedPackage.Require(entry.Directory, $"model '{name}'");
        return ModelCatalog.Load(entry.Directory);
    }

    /// <summary>
    /// The spec with its <c>features</c> and <c>reference</c> names replaced by the local files of those
    /// entries (downloaded if needed), for <see cref="ResolvedJob"/>, which reads files.
    /// </summary>
    public JobSpec Localize(JobSpec spec) => spec with
    {
        Features = spec.Features is { } features ? LocalFile(RegistryKind.Features, features) : null,
        Reference = spec.Reference is { } reference ? LocalFile(RegistryKind.Reference, reference) : null,
    };

    /// <summary>
    /// A summary made from a <see cref="Localize"/>d spec, told in names again: every string in it that names a
    /// file of this silo's cache (the reference, the feature network in <c>featurePreprocessing</c>,
    /// <c>evaluation.sfidReference</c>, any field added later) is rewritten by <see cref="InNames(string)"/>.
    /// </summary>
    public JobSummary InNames(JobSummary summary, JobSpec named)
    {
        var node = JsonSerializer.SerializeToNode(summary with { Spec = named }, JobJson.Options)!;
        Rewrite(node);
        var told = node.Deserialize<JobSummary>(JobJson.Options)!;
        return told with
        {
            Spec = named,
            Reference = named.Reference is { } reference ? $"registry reference '{reference}'" : told.Reference,
        };
    }

    /// <summary>
    /// <paramref name="text"/> with each path into this silo's cache replaced by what it is in the registry
    /// (<c>registry features 'digits-fid' file 'features.pt'</c>), and any other mention of the cache folder
    /// by "the model cache": a client learns names, never where a silo keeps them.
    /// </summary>
    public string InNames(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var root = cache.Root.TrimEnd(Path.DirectorySeparatorChar);
        if (!text.Contains(root, StringComparison.Ordinal))
        {
            return text;
        }

        var kinds = string.Join('|', Enum.GetValues<RegistryKind>().Select(k => Regex.Escape(k.Prefix())));
        // A quoted path ('…/eval.pt') loses its quotes with it: the replacement quotes the names itself.
        var entry = new Regex($@"(?<q>')?{Regex.Escape(root)}/({kinds})/([A-Za-z0-9._@-]+)(?:/([^\s'""(),;:]+))?(?(q)')", RegexOptions.CultureInvariant);
        text = entry.Replace(text, match =>
        {
            var kind = Enum.GetValues<RegistryKind>().First(k => k.Prefix() == match.Groups[1].Value);
            var file = match.Groups[3].Success ? $" file '{match.Groups[3].Value}'" : string.Empty;
            return $"registry {kind.Field()} '{match.Groups[2].Value}'{file}";
        });
        return text.Replace(root, "the model cache", StringComparison.Ordinal);
    }

    private void Rewrite(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, child) in obj.ToList())
                {
                    if (child is JsonValue value && value.TryGetValue<string>(out var text))
                    {
                        obj[key] = InNames(text);
                    }
                    else if (child is not null)
                    {
                        Rewrite(child);
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is JsonValue value && value.TryGetValue<string>(out var text))
                    {
                        array[i] = InNames(text);
                    }
                    else if (array[i] is { } child)
                    {
                        Rewrite(child);
                    }
                }

                break;
        }
    }

    /// <summary>The local file of a features or reference entry (downloaded and checked if needed).</summary>
    public string LocalFile(RegistryKind kind, string text)
    {
        var name = RegistryName.Parse(text, kind.Field());
        using var entry = cache.AcquireAsync(kind, name, CancellationToken.None).GetAwaiter().GetResult();
        return entry.PathOf(entry.Manifest.Files[0].Path);
    }
}
