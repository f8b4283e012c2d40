using OrleansFlow.Formats;

namespace OrleansFlow.Torch.Tests;

/// <summary>
/// The committed tiny package (<c>models/tiny-sit</c>) and the golden values that
/// <c>tools/make_tiny_models.py</c> computed from it with PyTorch.
/// </summary>
internal static class TinyModel
{
    private static readonly Lazy<string> Root = new(FindRoot);
    private static readonly Lazy<IReadOnlyDictionary<string, NpyArray>> GoldenArrays =
        new(() => NpzReader.Read(Path.Combine(AppContext.BaseDirectory, "Golden", "golden.npz")));

    private static readonly Lazy<TorchFlowModel> Shared = new(() => TorchFlowModel.Load(PackageDirectory));

    public static string PackageDirectory => Path.Combine(Root.Value, "models", "tiny-sit");

    public static string StandInInception => Path.Combine(AppContext.BaseDirectory, "Golden", "standin_inception.pt");

    /// <summary>One loaded instance for the tests that only read from it (the model is thread-safe).</summary>
    public static TorchFlowModel Model => Shared.Value;

    public static float[] Floats(string key) => GoldenArrays.Value[key].ToSingleArray();

    public static int[] Shape(string key) => GoldenArrays.Value[key].Shape;

    public static int[] Labels(string key) => [.. GoldenArrays.Value[key].ToInt64Array().Select(l => (int)l)];

    public static byte[] Bytes(string key) => GoldenArrays.Value[key].ToByteArray();

    /// <summary>A copy of the package in a fresh directory, with model.json edited by <paramref name="edit"/>.</summary>
    public static string CopyPackage(Func<string, string>? edit = null)
    {
        var directory = Directory.CreateTempSubdirectory("orleansflow-pkg-").FullName;
        foreach (var file in Directory.GetFiles(PackageDirectory))
        {
            File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
        }

        var manifest = Path.Combine(directory, "model.json");
        if (edit is not null)
        {
            File.WriteAllText(manifest, edit(File.ReadAllText(manifest)));
        }

        return directory;
    }

    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = 0.0;
        var at = -1;
        for (var i = 0; i < expected.Length; i++)
        {
            var difference = Math.Abs((double)expected[i] - actual[i]);
            if (!(difference <= worst))
            {
                worst = difference;
                at = i;
            }
        }

        Assert.True(worst <= tolerance, $"max |difference| {worst:E3} at {at} ({expected[Math.Max(at, 0)]} vs {actual[Math.Max(at, 0)]}) exceeds {tolerance:E1}");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "models", "tiny-sit", "model.json")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("models/tiny-sit not found above " + AppContext.BaseDirectory);
    }
}
