using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace OrleansFlow.Silo.Tests.Kubernetes;

/// <summary>The YAML documents under <c>k8s/</c>, parsed with YamlDotNet into dictionaries, lists and strings.</summary>
internal sealed class Manifests
{
    private static readonly IDeserializer Yaml = new DeserializerBuilder().Build();

    private Manifests(string root, IReadOnlyList<Manifest> documents)
    {
        Root = root;
        Documents = documents;
    }

    /// <summary>The <c>k8s/</c> directory of the repository.</summary>
    public string Root { get; }

    public IReadOnlyList<Manifest> Documents { get; }

    public static Manifests Load()
    {
        var root = Path.Combine(RepositoryRoot(), "k8s");
        var documents = new List<Manifest>();
        foreach (var file in Directory.EnumerateFiles(root, "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var parser = new Parser(new StringReader(File.ReadAllText(file)));
            parser.Consume<StreamStart>();
            while (parser.Accept<DocumentStart>(out _))
            {
                if (Yaml.Deserialize<Dictionary<object, object>>(parser) is { } document)
                {
                    documents.Add(new Manifest(Path.GetRelativePath(root, file), document));
                }
            }
        }

        return new Manifests(root, documents);
    }

    /// <summary>The one document of this kind and name in <paramref name="file"/>'s directory (e.g. <c>base</c>).</summary>
    public Manifest Single(string directory, string kind, string? name = null) =>
        Documents.Single(d => Path.GetDirectoryName(d.File) == directory && d.Kind == kind && (name is null || d.Name == name));

    public IEnumerable<Manifest> OfKind(string kind) => Documents.Where(d => d.Kind == kind);

    public static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "OrleansFlow.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("OrleansFlow.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>One YAML document and the file it came from (relative to <c>k8s/</c>).</summary>
internal sealed record Manifest(string File, Dictionary<object, object> Root)
{
    public string? Kind => Root.GetValueOrDefault("kind") as string;

    public string? Name => Get("metadata.name") as string;

    /// <summary>The value at a dotted path (<c>spec.template.spec</c>); list items by index (<c>containers.0</c>); null when absent.</summary>
    public object? Get(string path) => Manifest.At(Root, path);

    public string? Text(string path) => Get(path) as string;

    public IReadOnlyList<object> List(string path) => Get(path) as List<object> ?? [];

    public static object? At(object? node, string path)
    {
        foreach (var part in path.Split('.'))
        {
            node = node switch
            {
                Dictionary<object, object> map => map.GetValueOrDefault(part),
                List<object> list when int.TryParse(part, out var index) && index < list.Count => list[index],
                _ => null,
            };
        }

        return node;
    }
}
