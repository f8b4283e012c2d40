using OrleansFlow.Formats;

namespace OrleansFlow.Client.Tests.Support;

/// <summary>One reflow sample as stored: the raw bytes of its x0 and x1 rows and its label.</summary>
internal sealed record ReflowSample(byte[] X0, byte[] X1, long? Label);

/// <summary>Every sample of a reflow output directory, keyed by its <c>seed</c> (sample index).</summary>
internal static class ReflowData
{
    public static SortedDictionary<long, ReflowSample> Read(string directory)
    {
        var samples = new SortedDictionary<long, ReflowSample>();
        foreach (var path in Directory.EnumerateFiles(Path.Combine(directory, "shards"), "*.safetensors"))
        {
            var file = Safetensors.Read(File.ReadAllBytes(path));
            var seeds = file.GetInt64s("seed");
            var x0 = file["x0"].Data;
            var x1 = file["x1"].Data;
            var labels = file.TryGetTensor("label", out var label) ? label.ToInt64s() : null;
            var row = x0.Length / seeds.Length;
            for (var i = 0; i < seeds.Length; i++)
            {
                var sample = new ReflowSample(x0.Slice(i * row, row).ToArray(), x1.Slice(i * row, row).ToArray(), labels?[i]);
                Assert.True(samples.TryAdd(seeds[i], sample), $"sample {seeds[i]} appears twice in {directory}");
            }
        }

        return samples;
    }

    /// <summary>Asserts two reflow outputs hold the same samples bit for bit.</summary>
    public static void AssertIdentical(SortedDictionary<long, ReflowSample> expected, SortedDictionary<long, ReflowSample> actual, string because)
    {
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (index, sample) in expected)
        {
            var other = actual[index];
            Assert.True(sample.X0.AsSpan().SequenceEqual(other.X0), $"x0 of sample {index} differs ({because})");
            Assert.True(sample.X1.AsSpan().SequenceEqual(other.X1), $"x1 of sample {index} differs ({because})");
            Assert.True(sample.Label == other.Label, $"label of sample {index} differs: {sample.Label} vs {other.Label} ({because})");
        }
    }
}
