using OrleansFlow.Formats;

namespace OrleansFlow.Grains.Tests.Statistics;

/// <summary>The files tools/fid_golden.py writes, copied next to the test assembly.</summary>
internal static class GoldenFiles
{
    public static string PathOf(string fileName) =>
        Path.Combine(AppContext.BaseDirectory, "Statistics", "Golden", fileName);

    /// <summary>A script of tools/ copied next to the test assembly (tools/frechet_bench.py and what it imports).</summary>
    public static string ToolPath(string fileName) =>
        Path.Combine(AppContext.BaseDirectory, "Statistics", "Tools", fileName);

    public static IReadOnlyDictionary<string, NpyArray> ReadNpz(string fileName) => NpzReader.Read(PathOf(fileName));
}
