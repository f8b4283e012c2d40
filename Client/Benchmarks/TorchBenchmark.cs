using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using OrleansFlow.Sampling;
using OrleansFlow.Torch;

namespace OrleansFlow.Client.Benchmarks;

/// <summary>
/// <c>orleansflow bench-torch</c>: figures from one run on one TorchScript package.
/// (1) cold vs warm first-batch latency; (2) samples/s of the C# torch backend (BatchGenerator:
/// Philox noise, sampler, download) against <c>tools/torch_bench.py</c>, a plain PyTorch loop over the
/// same files and formulas, same thread count; (3) FlowTurbo vs Heun at matched error: RMS distance of
/// x1 to a 128-step Heun solution over the same noise, against measured ms per sample.
/// </summary>
internal sealed class TorchBenchmark(TorchBenchmarkOptions options, TextWriter output)
{
    private static readonly string[] ThroughputSamplers = ["heun:steps=8", "flowturbo:h=1,p=2,r=3"];
    private static readonly string[] HeunLadder = ["heun:steps=2", "heun:steps=3", "heun:steps=4", "heun:steps=5", "heun:steps=6", "heun:steps=8", "heun:steps=12"];
    private static readonly string[] TurboConfigs = ["flowturbo:h=1,p=1,r=2", "flowturbo:h=1,p=2,r=3", "flowturbo:h=2,p=2,r=2", "flowturbo:h=2,p=3,r=4", "flowturbo:h=3,p=4,r=4"];
    private const string Reference = "heun:steps=128";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        TorchLibrary.SetThreads(options.Threads);
        var culture = CultureInfo.InvariantCulture;
        var clock = Stopwatch.StartNew();
        using var model = TorchFlowModel.Load(options.Model);
        var load = clock.Elapsed.TotalMilliseconds;
        await output.WriteLineAsync(string.Create(culture,
            $"bench-torch: {model.Info.Name} {model.Info.Shape}, libtorch {TorchLibrary.TorchVersion} on {model.Backend.Name}, {options.Threads} intra-op thread(s), batch {options.BatchSize}"));
        await output.WriteLineAsync(string.Create(culture, $"load + check: {load:F0} ms"));

        var warm = model.WarmUp([options.BatchSize])[0];
        await output.WriteLineAsync(string.Create(culture,
            $"first-batch latency of the predictor at batch {warm.Batch}: cold {warm.ColdMilliseconds:F1} ms, warm {warm.WarmMilliseconds:F1} ms ({warm.ColdMilliseconds / warm.WarmMilliseconds:F1}x)"));

        await output.WriteLineAsync();
        await output.WriteLineAsync("throughput, same TorchScript files and sampler formulas:");
        await output.WriteLineAsync("  sampler                    C# samples/s   Python samples/s   C#/Python");
        foreach (var sampler in ThroughputSamplers)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var csharp = Throughput(model, sampler);
            var python = await PythonThroughputAsync(sampler, cancellationToken);
            await output.WriteLineAsync(string.Create(culture,
                $"  {sampler,-26} {csharp,12:F1} {python,18:F1} {csharp / python,11:F2}"));
        }

        await output.WriteLineAsync();
        await output.WriteLineAsync(string.Create(culture, $"error vs {Reference} on {options.ErrorSamples} samples (RMS over all values), time measured here:"));
        await output.WriteLineAsync("  sampler                    NFE pred+ref   RMS error   ms/sample");
        var reference = Sample(model, Reference, out _);
        var rows = new List<(string Sampler, double Error, double Ms)>();
        foreach (var sampler in HeunLadder.Concat(TurboConfigs))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var spec = SamplerSpec.Parse(sampler);
            var x1 = Sample(model, sampler, out var ms);
            var error = Rms(x1, reference);
            rows.Add((sampler, error, ms));
            await output.WriteLineAsync(string.Create(culture,
                $"  {sampler,-26} {spec.PredictorNfe,5} + {spec.RefinerNfe,-5} {error,11:E2} {ms,11:F3}"));
        }

        await output.WriteLineAsync();
        await output.WriteLineAsync("matched error: the cheapest Heun at least as accurate as each FlowTurbo setting:");
        foreach (var turbo in rows.Where(r => r.Sampler.StartsWith("flowturbo", StringComparison.Ordinal)))
        {
            var heun = rows.Where(r => r.Sampler.StartsWith("heun", StringComparison.Ordinal) && r.Error <= turbo.Error).OrderBy(r => r.Ms).FirstOrDefault();
            var line = heun.Sampler is null
                ? $"  {turbo.Sampler}: no Heun setting up to 12 steps is as accurate"
                : $"  {turbo.Sampler} ({turbo.Error:E2}, {turbo.Ms:F3} ms) vs {heun.Sampler} ({heun.Error:E2}, {heun.Ms:F3} ms): FlowTurbo takes {turbo.Ms / heun.Ms:P0} of Heun's time";
            await output.WriteLineAsync(string.Create(culture, $"{line}"));
        }
    }

    private double Throughput(TorchFlowModel model, string sampler)
    {
        var generator = Generator(model, sampler, seed: 1);
        generator.Generate(0, options.BatchSize);
        var clock = Stopwatch.StartNew();
        for (var start = 0; start < options.Samples; start += options.BatchSize)
        {
            generator.Generate(start, Math.Min(options.BatchSize, options.Samples - start));
        }

        return options.Samples / clock.Elapsed.TotalSeconds;
    }

    /// <summary>x1 of the first ErrorSamples samples; the time is the best of three runs, per sample.</summary>
    private float[] Sample(TorchFlowModel model, string sampler, out double msPerSample)
    {
        var generator = Generator(model, sampler, seed: 7);
        var best = double.MaxValue;
        float[] samples = [];
        for (var run = 0; run < 3; run++)
        {
            var clock = Stopwatch.StartNew();
            samples = generator.Generate(0, options.ErrorSamples).Samples;
            best = Math.Min(best, clock.Elapsed.TotalMilliseconds);
        }

        msPerSample = best / options.ErrorSamples;
        return samples;
    }

    private static BatchGenerator Generator(TorchFlowModel model, string sampler, long seed)
    {
        var info = model.Info;
        var labels = info.IsConditional
            ? new LabelPolicy(LabelMode.Random, 0, info.ClassCount, info.NullClass)
            : new LabelPolicy(LabelMode.None, 0, 0, 0);
        return new BatchGenerator(model, SamplerFactory.Create(SamplerSpec.Parse(sampler)), labels, seed, guidance: 1);
    }

    private static double Rms(float[] a, float[] b)
    {
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            var d = (double)a[i] - b[i];
            sum += d * d;
        }

        return Math.Sqrt(sum / a.Length);
    }

    private async Task<double> PythonThroughputAsync(string sampler, CancellationToken cancellationToken)
    {
        using var json = await PythonPeer.RunAsync(
            options.Python,
            options.BenchScript,
            [
                "--model", options.Model, "--sampler", sampler,
                "--samples", options.Samples.ToString(CultureInfo.InvariantCulture),
                "--batch-size", options.BatchSize.ToString(CultureInfo.InvariantCulture),
                "--threads", options.Threads.ToString(CultureInfo.InvariantCulture),
            ],
            cancellationToken);
        return json.RootElement.GetProperty("samples_per_second").GetDouble();
    }
}

internal sealed record TorchBenchmarkOptions(string Model, int Samples, int BatchSize, int Threads, int ErrorSamples, string Python, string BenchScript);
