using System.Diagnostics.Metrics;
using OrleansFlow.Grains.Tests.Sampling;
using OrleansFlow.Sampling;
using OrleansFlow.Serving;
using OrleansFlow.Telemetry;

namespace OrleansFlow.Grains.Tests.Serving;

public sealed class GenerateBatcherTests : IDisposable
{
    private readonly GenerateExecutor _executor = new(threads: 1, maxRequests: 64);

    public void Dispose() => _executor.Dispose();

    [Theory]
    [InlineData("heun:steps=3", 1.0)]
    [InlineData("flowturbo:h=1,p=1,r=2", 2.5)]
    public async Task GenerateAsync_ConcurrentRequests_OneSharedRunAndEverySampleBitIdenticalToItsRequestAlone(string sampler, double guidance)
    {
        var batcher = Batcher(TimeSpan.FromSeconds(5), maxBatchSamples: 1000);
        var requests = new (long Seed, int Count, int? Class)[] { (1, 16, null), (2, 5, 3), (3, 1, null), (4, 9, 0), (5, 16, null), (6, 3, 7) }
            .Select(r => (r.Count, Generator: Generator(sampler, guidance, r.Seed, r.Class))).ToList();
        var tickets = requests.Select(_ => _executor.TryAdmit()!).ToList();
        var runs = new List<int>();
        using var listener = Listen(runs);

        var results = await Task.WhenAll(requests.Select(r => Task.Run(() => batcher.GenerateAsync(r.Generator, r.Count, default))));
        tickets.ForEach(t => t.Dispose());

        Assert.True(batcher.SharesRuns);
        Assert.Equal([requests.Count], runs);
        for (var i = 0; i < requests.Count; i++)
        {
            var alone = requests[i].Generator.Generate(0, requests[i].Count);
            Assert.Equal(alone.Samples, results[i].Samples);
            Assert.Equal(alone.Noise, results[i].Noise);
            Assert.Equal(alone.Labels, results[i].Labels);
            Assert.Equal(alone.Nfe, results[i].Nfe);
        }
    }

    [Fact]
    public async Task GenerateAsync_MaxBatchSamplesReached_RunsStartWithoutWaitingAndNeverSplitARequest()
    {
        var batcher = Batcher(TimeSpan.FromSeconds(30), maxBatchSamples: 20);
        var generators = Enumerable.Range(0, 4).Select(i => Generator("euler:steps=2", 1, seed: i, label: null)).ToList();
        var tickets = generators.Select(_ => _executor.TryAdmit()!).Concat([_executor.TryAdmit()!]).ToList();
        var runs = new List<int>();
        using var listener = Listen(runs);

        // A fifth admitted request never arrives: only the size limit can start the runs before 30 s.
        var results = await Task.WhenAll(generators.Select(g => batcher.GenerateAsync(g, 10, default))).WaitAsync(TimeSpan.FromSeconds(20));
        tickets.ForEach(t => t.Dispose());

        Assert.Equal([2, 2], runs);
        Assert.All(results, r => Assert.Equal(10, r.Count));
    }

    [Fact]
    public async Task GenerateAsync_RequestCancelledWhileQueued_CanceledAtOnceAndTheOthersComplete()
    {
        var batcher = Batcher(TimeSpan.FromSeconds(30), maxBatchSamples: 1000);
        var tickets = Enumerable.Range(0, 3).Select(_ => _executor.TryAdmit()!).ToList();
        using var cancel = new CancellationTokenSource();

        var cancelled = batcher.GenerateAsync(Generator("euler:steps=2", 1, 1, null), 4, cancel.Token);
        var kept = batcher.GenerateAsync(Generator("euler:steps=2", 1, 2, null), 4, default);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.False(kept.IsCompleted);
        tickets.ForEach(t => t.Dispose());
        // With no admitted request left on its way, the queued one runs without waiting out the 30 s.
        var third = await batcher.GenerateAsync(Generator("euler:steps=2", 1, 3, null), 4, default).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(4, (await kept.WaitAsync(TimeSpan.FromSeconds(20))).Count);
        Assert.Equal(4, third.Count);
    }

    [Fact]
    public async Task GenerateAsync_EveryRequestOfARunningRunCancelled_TheRunStopsAtItsNextModelCall()
    {
        var batcher = Batcher(TimeSpan.Zero, maxBatchSamples: 1000);
        using var cancel = new CancellationTokenSource();
        var started = DateTime.UtcNow;

        var expensive = batcher.GenerateAsync(Generator("heun:steps=10000", 1, 1, null), 256, cancel.Token);
        await Task.Delay(300);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => expensive.WaitAsync(TimeSpan.FromSeconds(10)));
        // The executor's thread is free again: a small request completes.
        var next = await batcher.GenerateAsync(Generator("euler:steps=1", 1, 2, null), 1, default).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, next.Count);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(15));
    }

    [Fact]
    public void TryAdmit_AtTheCap_RefusedUntilATicketIsReturned()
    {
        using var executor = new GenerateExecutor(threads: 1, maxRequests: 2);
        var first = executor.TryAdmit();
        using var second = executor.TryAdmit();

        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Null(executor.TryAdmit());
        first!.Dispose();
        first.Dispose();
        using var third = executor.TryAdmit();
        Assert.NotNull(third);
        Assert.Null(executor.TryAdmit());
    }

    [Fact]
    public void Inputs_CountTimesElementsOverflows_OverflowExceptionBeforeAnyAllocation()
    {
        var generator = Generator("euler:steps=1", 1, 1, null);

        Assert.Throws<OverflowException>(() => generator.Inputs(0, int.MaxValue / 2));
    }

    [Fact]
    public void RowLayoutProbe_ManagedBackend_RowsIndependentOfLayout() =>
        Assert.True(RowLayoutProbe.RowsIndependentOfLayout(SamplerTestKit.Demo));

    private GenerateBatcher Batcher(TimeSpan maxWait, int maxBatchSamples) =>
        new(SamplerTestKit.Demo.Info.Name, _executor, new GenerateBatchOptions(maxWait, maxBatchSamples), new Lazy<bool>(() => RowLayoutProbe.RowsIndependentOfLayout(SamplerTestKit.Demo)));

    private static BatchGenerator Generator(string sampler, double guidance, long seed, int? label)
    {
        var model = SamplerTestKit.Demo;
        var labels = new LabelPolicy(label is null ? LabelMode.Random : LabelMode.Fixed, label ?? 0, model.Info.ClassCount, model.Info.NullClass);
        return new BatchGenerator(model, SamplerFactory.Create(SamplerSpec.Parse(sampler)), labels, seed, guidance, decode: true);
    }

    /// <summary>Records the requests of each shared run (the batcher's histogram), for this test's model.</summary>
    private static MeterListener Listen(List<int> runs)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument == OrleansFlowMetrics.GenerateBatchRequests)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<int>((_, value, _, _) =>
        {
            lock (runs)
            {
                runs.Add(value);
            }
        });
        listener.Start();
        return listener;
    }
}
