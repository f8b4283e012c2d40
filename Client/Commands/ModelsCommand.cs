using System.CommandLine;
using System.Globalization;
using System.Text;
using OrleansFlow.Models.Registry;
using OrleansFlow.Storage;

namespace OrleansFlow.Client.Commands;

/// <summary>
/// <c>orleansflow models push|list|show|sign</c>: the model registry (docs/models.md) in the configured blob
/// store — the silo's settings (<c>OrleansFlow__Models</c>, else <c>OrleansFlow__Store</c>) unless
/// <c>--store</c> says otherwise: a local directory, an Azure container URI, or a connection string.
/// </summary>
internal static class ModelsCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var store = new Option<string>("--store")
        {
            Description = "Registry store: a directory, an Azure container URI (SAS or Azure AD) or a connection string",
            DefaultValueFactory = _ => RegistrySettings.Store ?? RegistrySettings.DefaultDirectory,
            Recursive = true,
        };
        var container = new Option<string?>("--container")
        {
            Description = "Container, when --store is a connection string",
            DefaultValueFactory = _ => RegistrySettings.Container,
            Recursive = true,
        };
        var kind = new Option<string>("--kind") { Description = $"Entry kind: {RegistryKinds.Allowed}", DefaultValueFactory = _ => "model", Recursive = true };
        var command = new Command("models", "The model registry: push a model package, feature network or reference; list; show");
        command.Options.Add(store);
        command.Options.Add(container);
        command.Options.Add(kind);

        var source = new Argument<string>("path") { Description = "A model package directory (model.json) or mixture .json; a features .pt or reference .npz file" };
        var nameOption = new Option<string?>("--name") { Description = "Registry name (default: the directory or file name); name@version for a new version" };
        var signKey = new Option<string?>("--sign-key")
        {
            Description = "ECDSA P-256 private key (PEM) to sign the entry's manifest with; silos configured with OrleansFlow__RegistryKeys load only signed entries",
        };
        var push = new Command("push", "Upload an entry under a new name (names are never overwritten)") { source, nameOption, signKey };
        push.SetAction((result, ct) => RunAsync(error, async () =>
        {
            var path = result.GetValue(source)!;
            var name = RegistryName.Parse(result.GetValue(nameOption) ?? DefaultName(path), "--name");
            using var key = result.GetValue(signKey) is { } keyFile ? RegistrySigning.LoadPrivateKey(keyFile, "--sign-key") : null;
            var manifest = await Registry(result).PushAsync(Kind(result), path, name, ct, key);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"pushed {manifest.Kind.Field()} '{manifest.Name}': {manifest.Files.Count} files, {manifest.TotalBytes} bytes, sha256 checked on every download{(key is null ? string.Empty : $", signed by key {RegistrySigning.KeyId(key)}")}"));
        }));

        var signName = new Argument<string>("name") { Description = "Registry name of an entry to sign" };
        var requiredKey = new Option<string>("--sign-key") { Description = "ECDSA P-256 private key (PEM)", Required = true };
        var sign = new Command("sign", "Add a signature by another key to an existing entry (key rotation, docs/models.md)") { signName, requiredKey };
        sign.SetAction((result, ct) => RunAsync(error, async () =>
        {
            var name = RegistryName.Parse(result.GetValue(signName), "name");
            using var key = RegistrySigning.LoadPrivateKey(result.GetValue(requiredKey)!, "--sign-key");
            var keyId = await Registry(result).SignAsync(Kind(result), name, key, ct);
            await output.WriteLineAsync($"signed {Kind(result).Field()} '{name}' with key {keyId}");
        }));

        var list = new Command("list", "Entries of --kind (all kinds with --kind all)");
        list.SetAction((result, ct) => RunAsync(error, async () =>
        {
            var which = result.GetValue(kind) == "all" ? (RegistryKind?)null : Kind(result);
            var lines = new StringBuilder();
            await foreach (var manifest in Registry(result).ListAsync(which, ct))
            {
                lines.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"{manifest.Kind.Field(),-10} {manifest.Name,-32} {manifest.Files.Count,5} files {manifest.TotalBytes,14} bytes  {manifest.PushedAt:yyyy-MM-dd HH:mm:ss}Z"));
            }

            await output.WriteAsync(lines.Length > 0 ? lines.ToString() : "(no entries)\n");
        }));

        var showName = new Argument<string>("name") { Description = "Registry name" };
        var show = new Command("show", "The manifest of one entry: its files with sizes and sha256") { showName };
        show.SetAction((result, ct) => RunAsync(error, async () =>
        {
            var name = RegistryName.Parse(result.GetValue(showName), "name");
            var manifest = await Registry(result).FindAsync(Kind(result), name, ct)
                ?? throw new SpecException("name", $"no {Kind(result).Field()} named '{name}' in the registry");
            await output.WriteLineAsync(Encoding.UTF8.GetString(manifest.ToJson()));
        }));

        command.Subcommands.Add(push);
        command.Subcommands.Add(list);
        command.Subcommands.Add(show);
        command.Subcommands.Add(sign);
        return command;

        ModelRegistry Registry(ParseResult result) => new(BlobStores.Create(result.GetValue(store)!, result.GetValue(container)));

        RegistryKind Kind(ParseResult result) =>
            RegistryKinds.Parse(result.GetValue(kind)!) ?? throw new SpecException("--kind", $"'{result.GetValue(kind)}' is not allowed: use {RegistryKinds.Allowed}");
    }

    private static string DefaultName(string path) =>
        Directory.Exists(path) ? new DirectoryInfo(path).Name : Path.GetFileNameWithoutExtension(path);

    /// <summary>One line on stderr for every failure: 2 for bad input, 1 when the store failed.</summary>
    private static async Task<int> RunAsync(TextWriter error, Func<Task> action)
    {
        try
        {
            await action();
            return ExitCodes.Success;
        }
        catch (SpecException e)
        {
            await error.WriteLineAsync($"orleansflow: models: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException or global::Azure.RequestFailedException)
        {
            await error.WriteLineAsync($"orleansflow: models: {Cli.OneLine(e.Message)}");
            return ExitCodes.Failure;
        }
    }
}
