namespace OrleansFlow.Grains.Tests.Sampling;

public class BatchInvarianceTests
{
    [Theory]
    [InlineData("flowturbo:h=1,p=1,r=2")]
    [InlineData("heun:steps=3")]
    public void Generate_AnySplitIntoBatches_BitIdenticalSamplesAndLabels(string sampler)
    {
        var generator = SamplerTestKit.Generator(sampler, guidance: 1.5);
        var whole = generator.Generate(100, 37);

        foreach (var batchSize in new[] { 1, 5, 16 })
        {
            var samples = new List<float>();
            var labels = new List<int>();
            for (var start = 0; start < 37; start += batchSize)
            {
                var part = generator.Generate(100 + start, Math.Min(batchSize, 37 - start));
                samples.AddRange(part.Samples);
                labels.AddRange(part.Labels);
            }

            Assert.Equal(whole.Samples, samples);
            Assert.Equal(whole.Labels, labels);
        }
    }
}
