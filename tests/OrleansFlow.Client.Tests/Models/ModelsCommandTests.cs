using System.Text.Json;
using OrleansFlow.Client.Tests.Support;
using OrleansFlow.Testing;

namespace OrleansFlow.Client.Tests.Models;

/// <summary><c>orleansflow models push|list|show</c> on a local-directory registry.</summary>
public sealed class ModelsCommandTests : IDisposable
{
    private const string Mixture = """{"shape":[1,1,2], "weights":[1], "means":[[1,0]], "stds":[0.5]}""";

    private readonly TemporaryDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task PushListShow_MixturePackage_ListedAndShownWithItsSha256_SecondPushRefused()
    {
        var package = _temp.Combine("mix");
        Directory.CreateDirectory(package);
        await File.WriteAllTextAsync(Path.Combine(package, "mixture.json"), Mixture);
        var store = _temp.Combine("registry");

        var pushed = await Orleansflow.RunAsync("models", "push", package, "--store", store);
        var again = await Orleansflow.RunAsync("models", "push", package, "--store", store);
        var version = await Orleansflow.RunAsync("models", "push", package, "--name", "mix@2", "--store", store);
        var list = await Orleansflow.RunAsync("models", "list", "--store", store);
        var show = await Orleansflow.RunAsync("models", "show", "mix@2", "--store", store);

        Assert.True(pushed.ExitCode == 0, pushed.ToString());
        Assert.Contains("pushed model 'mix'", pushed.Output, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.BadInput, again.ExitCode);
        Assert.Contains("already exists", Assert.Single(again.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(0, version.ExitCode);
        Assert.Equal(["mix", "mix@2"], list.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]));
        var manifest = JsonDocument.Parse(show.Output).RootElement;
        var file = Assert.Single(manifest.GetProperty("files").EnumerateArray());
        Assert.Equal("mixture.json", file.GetProperty("path").GetString());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(package, "mixture.json")))), file.GetProperty("sha256").GetString());
    }

    [Fact]
    public async Task EmbeddedJob_ModelByRegistryName_SameStatisticsAsTheLocalFile_UnknownNameOneLineNothingWritten()
    {
        var package = _temp.Combine("mix");
        Directory.CreateDirectory(package);
        var mixture = Path.Combine(package, "mixture.json");
        await File.WriteAllTextAsync(mixture, Mixture);
        var store = _temp.Combine("registry");
        Assert.Equal(0, (await Orleansflow.RunAsync("models", "push", package, "--store", store)).ExitCode);
        string[] job = ["fid", "--samples", "300", "--shard-size", "100", "--quiet", "--registry", store];

        var byName = await Orleansflow.RunAsync([.. job, "--model", "mix", "--out", _temp.Combine("by-name")]);
        var byPath = await Orleansflow.RunAsync([.. job, "--model", $"gmm:{mixture}", "--out", _temp.Combine("by-path")]);
        var unknown = await Orleansflow.RunAsync([.. job, "--model", "nothing-here", "--out", _temp.Combine("unknown")]);

        Assert.True(byName.ExitCode == 0, byName.ToString());
        Assert.True(byPath.ExitCode == 0, byPath.ToString());
        Assert.Equal(
            await File.ReadAllBytesAsync(_temp.Combine("by-path", "stats.npz")),
            await File.ReadAllBytesAsync(_temp.Combine("by-name", "stats.npz")));
        Assert.Contains("\"model\": \"mix\"", await File.ReadAllTextAsync(_temp.Combine("by-name", "summary.json")), StringComparison.Ordinal);
        Assert.Equal(ExitCodes.BadInput, unknown.ExitCode);
        Assert.Contains("no model named 'nothing-here' in the registry", Assert.Single(unknown.ErrorLines), StringComparison.Ordinal);
        Assert.False(Directory.Exists(_temp.Combine("unknown")));
    }

    [Theory]
    [InlineData("--name", "../escape")]
    [InlineData("--name", "/abs")]
    [InlineData("--kind", "weights")]
    public async Task Push_BadNameOrKind_OneLineExit2NothingWritten(string option, string value)
    {
        var file = _temp.Combine("m.json");
        await File.WriteAllTextAsync(file, Mixture);
        var store = _temp.Combine("registry");

        var result = await Orleansflow.RunAsync("models", "push", file, option, value, "--store", store);

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.StartsWith($"orleansflow: models: {option}", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        Assert.False(Directory.Exists(store) && Directory.EnumerateFiles(store, "*", SearchOption.AllDirectories).Any());
    }

    [Fact]
    public async Task Show_UnknownName_Exit2()
    {
        var result = await Orleansflow.RunAsync("models", "show", "nothing-here", "--store", _temp.Combine("registry"));

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains("no model named 'nothing-here'", result.Error, StringComparison.Ordinal);
    }
}
