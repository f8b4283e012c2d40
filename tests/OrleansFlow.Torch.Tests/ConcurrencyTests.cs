using OrleansFlow.Sampling;

namespace OrleansFlow.Torch.Tests;

public class ConcurrencyTests
{
    [Fact]
    public async Task Sample_EightThreadsOnOneModel_EachEqualsItsSingleThreadedResult()
    {
        var model = TinyModel.Model;
        var spec = SamplerSpec.Parse("flowturbo:h=2,p=2,r=2");
        var x0 = TinyModel.Floats("x0");
        var labels = TinyModel.Labels("x0_labels");
        var expected = TinyModel.Floats("flowturbo_h2p2r2");

        // Each task samples the golden batch (with guidance 1) several times; all share the frozen modules.
        var tasks = Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            var results = new List<float[]>();
            for (var round = 0; round < 3; round++)
            {
                results.Add(GoldenTests.Sample(model, spec, x0, labels, guidance: 1));
            }

            return results;
        })).ToArray();

        foreach (var results in await Task.WhenAll(tasks))
        {
            foreach (var actual in results)
            {
                TinyModel.AssertClose(expected, actual, 1e-5);
            }
        }
    }
}
