using System.Collections.Concurrent;
using System.Diagnostics;
using OrleansFlow.Ids;
using OrleansFlow.Models;
using OrleansFlow.Telemetry;
using OrleansFlow.Tensors;

namespace OrleansFlow.Torch;

/// <summary>
/// A model package on libtorch: the predictor (and refiner, decoder) of one device, each in the compiled
/// form timed fastest for every warmed batch size (<see cref="CompiledModule"/>), with the package's time
/// convention applied, so the samplers see v(x, t, label) in OrleansFlow's convention.
/// Safe for concurrent calls; tensors stay on the device between sampler steps.
/// </summary>
public sealed class TorchFlowModel : IFlowModel, ISampleDecoder, IDisposable, IWarmable
{
    public const string DeviceVariable = "ORLEANSFLOW_DEVICE";

    /// <summary>"1": on a CUDA device, every module replays a CUDA graph per batch shape (bench/gpu-check.sh).</summary>
    public const string CudaGraphsVariable = "ORLEANSFLOW_CUDA_GRAPHS";

    private readonly CompiledModule _predictor;
    private readonly CompiledModule? _refiner;
    private readonly CompiledModule? _decoder;
    private readonly TorchTensorBackend _backend;
    // Lazy: a job's prepare and its first shard can warm one batch size at once (a submission prepares the silos
    // that will take shards while shards may already arrive); the second waits for the first's warm-up instead
    // of timing the forms again beside it on the same cores.
    private readonly ConcurrentDictionary<int, Lazy<WarmupLatency>> _warm = new();
    private readonly Lazy<string?> _compilationScope;

    private TorchFlowModel(ModelPackage package, TorchTensorBackend backend, CompilationPolicy policy, CompiledModule predictor, CompiledModule? refiner, CompiledModule? decoder)
    {
        Package = package;
        _compilationScope = new(() => policy.Fixed is null ? $"{package.Name}:{ContentHash()}/{backend.Name}/{policy.Name}" : null);
        _backend = backend;
        _predictor = predictor;
        _refiner = refiner;
        _decoder = decoder;
        Info = new ModelInfo(package.Name, package.InputShape, package.Classes);
        Refiner = refiner is null ? null : new TorchRefiner(this, refiner);
    }

    public ModelPackage Package { get; }

    public ModelInfo Info { get; }

    public ITensorBackend Backend => _backend;

    public IVelocityRefiner? Refiner { get; }

    public ISampleDecoder? Decoder => _decoder is null ? null : this;

    public Resolution OutputShape => Package.OutputShape ?? Info.Shape;

    /// <summary>The batch sizes warmed so far, with their measured first-call latencies.</summary>
    public IReadOnlyCollection<WarmupLatency> Warmed => [.. _warm.Values.Where(w => w.IsValueCreated).Select(w => w.Value).OrderBy(w => w.Batch)];

    /// <summary>The compiled form chosen for each module and warmed batch size, with the timings behind it.</summary>
    public IReadOnlyList<Jobs.CompilationChoice> Compilation => [.. Modules.SelectMany(m => m.Choices)];

    /// <summary>Package name, a hash of its modules' bytes, device and policy; null under a fixed policy (nothing is timed).</summary>
    public string? CompilationScope => _compilationScope.Value;

    /// <summary>The device of <c>$ORLEANSFLOW_DEVICE</c>, else <c>cpu</c>.</summary>
    public static string DefaultDevice => Environment.GetEnvironmentVariable(DeviceVariable) is { Length: > 0 } device ? device : "cpu";

    /// <summary>
    /// Loads a package and checks each module once on a one-sample batch against the manifest, so a
    /// mismatched file fails here with a message naming it, not halfway through a job. Modules are
    /// compiled per <paramref name="compilation"/> (default <see cref="CompilationPolicy.Default"/>).
    /// </summary>
    public static TorchFlowModel Load(string directory, string? device = null, CompilationPolicy? compilation = null)
    {
        var package = ModelPackage.Read(directory);
        device ??= DefaultDevice;
        compilation ??= CompilationPolicy.Default;
        var graphs = Environment.GetEnvironmentVariable(CudaGraphsVariable) == "1";
        if (graphs && !device.StartsWith("cuda", StringComparison.Ordinal))
        {
            throw new SpecException(CudaGraphsVariable, $"CUDA graphs need a CUDA device; {DeviceVariable} is '{device}'");
        }

        var backend = new TorchTensorBackend(device);
        CompiledModule? predictor = null, refiner = null, decoder = null;
        try
        {
            predictor = LoadModule(package.Predictor, device, "predictor", compilation, graphs);
            refiner = package.Refiner is null ? null : LoadModule(package.Refiner, device, "refiner", compilation, graphs);
            decoder = package.Decoder is null ? null : LoadModule(package.Decoder, device, "decoder", compilation, graphs);
            var model = new TorchFlowModel(package, backend, compilation, predictor, refiner, decoder);
            model.Check();
            return model;
        }
        catch
        {
            predictor?.Dispose();
            refiner?.Dispose();
            decoder?.Dispose();
            throw;
        }
    }

    public ITensor Velocity(ITensor x, double t, ReadOnlySpan<int> labels) =>
        Call(_predictor, TorchTensorBackend.Torch(x), t, null, labels);

    public ITensor Decode(ITensor samples) => Decode(samples, null);

    private ITensor Decode(ITensor samples, TorchModule? form)
    {
        var decoder = _decoder ?? throw new InvalidOperationException($"{Info.Name} has no decoder");
        var x = TorchTensorBackend.Torch(samples);
        using var scaled = Package.LatentScale == 1 ? null : (TorchTensor)_backend.Scale(x, 1 / Package.LatentScale);
        var output = (form ?? decoder.For(x.Batch)).Forward((scaled ?? x).Handle);
        return Checked(decoder, output, x.Batch, OutputShape);
    }

    /// <summary>
    /// Sample-aware warm-up: runs predictor (and refiner, decoder) on a batch of each size before
    /// serving, so TorchScript's profiling executor specialises and optimises its graph for the
    /// shape (and, on CUDA with graphs on, captures it), then times each module's compiled forms on
    /// that shape and keeps the fastest (<see cref="Compilation"/>). Returns the first call's latency
    /// (cold) and that of a call after warm-up (warm) per size, both in the untimed default form.
    /// </summary>
    public IReadOnlyList<WarmupLatency> WarmUp(IEnumerable<int> batchSizes, int runs = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 2);
        var results = new List<WarmupLatency>();
        foreach (var batch in batchSizes.Distinct())
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
            var warming = _warm.GetOrAdd(batch, b => new Lazy<WarmupLatency>(() =>
            {
                var clock = Stopwatch.StartNew();
                var latency = Measure(b, runs);
                Compile(b);
                OrleansFlowMetrics.ModelWarmupDuration.Record(clock.Elapsed.TotalSeconds, new KeyValuePair<string, object?>("model", Info.Name));
                return latency;
            }));
            try
            {
                results.Add(warming.Value);
            }
            catch
            {
                // A failed warm-up is not kept (Lazy would rethrow it forever): the next job's warms again.
                _warm.TryRemove(KeyValuePair.Create(batch, warming));
                throw;
            }
        }

        return results;
    }

    public void Adopt(IReadOnlyList<Jobs.CompilationChoice> choices)
    {
        // Each module takes only its own role's choices (CompiledModule.Adopt).
        foreach (var choice in choices)
        {
            foreach (var module in Modules)
            {
                module.Adopt(choice);
            }
        }
    }

    public void Dispose()
    {
        _predictor.Dispose();
        _refiner?.Dispose();
        _decoder?.Dispose();
    }

    /// <summary>Predictor, then refiner and decoder where the package has them.</summary>
    private IEnumerable<CompiledModule> Modules => new[] { _predictor, _refiner, _decoder }.OfType<CompiledModule>();

    /// <summary>The first 16 hex digits of SHA-256 over the modules' files: a new version of a package is timed anew.</summary>
    private string ContentHash()
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        foreach (var module in Modules)
        {
            using var file = File.OpenRead(module.Path);
            int read;
            while ((read = file.Read(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, read);
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }

    private WarmupLatency Measure(int batch, int runs)
    {
        var zeros = new float[batch * Info.Shape.Elements];
        var labels = Enumerable.Repeat(Info.NullClass, Info.IsConditional ? batch : 0).ToArray();
        using var x = _backend.Upload(zeros, batch, Info.Shape);
        var host = new float[zeros.Length];
        var times = new double[runs];
        for (var i = 0; i < runs; i++)
        {
            var clock = Stopwatch.StartNew();
            using (var v = Velocity(x, 0.5, labels))
            {
                // Copying the result back waits for the device (CUDA launches are asynchronous).
                _backend.Download(v, host);
            }

            times[i] = clock.Elapsed.TotalMilliseconds;
            if (Refiner is not null)
            {
                using var r = Refiner.Refine(x, 0.5, x, labels);
            }

            if (_decoder is not null)
            {
                using var image = Decode(x);
            }
        }

        return new WarmupLatency(batch, times[0], times[^1]);
    }

    /// <summary>
    /// Chooses each module's form for <paramref name="batch"/> rows on a fixed pseudo-random probe (not
    /// zeros, so that forms which round differently are told apart), as <see cref="CompiledModule.Choose"/> says.
    /// </summary>
    private void Compile(int batch)
    {
        var random = new Random(20261205);
        var values = new float[batch * Info.Shape.Elements];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (random.NextSingle() * 2) - 1;
        }

        var labels = Enumerable.Range(0, Info.IsConditional ? batch : 0).Select(i => i % (Info.NullClass + 1)).ToArray();
        using var x = TorchTensorBackend.Torch(_backend.Upload(values, batch, Info.Shape));
        float[] Run(ITensor output)
        {
            using (output)
            {
                var copy = new float[output.Batch * output.Shape.Elements];
                _backend.Download(output, copy);
                return copy;
            }
        }

        _predictor.Choose(batch, form => Run(Call(_predictor, x, 0.5, null, labels, form)));
        if (_refiner is { } refiner)
        {
            refiner.Choose(batch, form => Run(Call(refiner, x, 0.5, x, labels, form)));
        }

        if (_decoder is { } decoder)
        {
            decoder.Choose(batch, form => Run(Decode(x, form)));
        }
    }

    internal ITensor Call(CompiledModule compiled, TorchTensor x, double t, TorchTensor? previous, ReadOnlySpan<int> labels, TorchModule? form = null)
    {
        if (x.Shape != Info.Shape)
        {
            throw new ArgumentException($"{Info.Name} takes samples of {Info.Shape}, not {x.Shape}");
        }

        var module = form ?? compiled.For(x.Batch);
        using var time = _backend.Full(Package.Time.ModelTime(t), x.Batch);
        TorchTensorHandle output;
        if (Info.IsConditional)
        {
            if (labels.Length != x.Batch)
            {
                throw new ArgumentException($"{labels.Length} labels for a batch of {x.Batch}");
            }

            var mapped = new long[labels.Length];
            for (var i = 0; i < mapped.Length; i++)
            {
                var label = labels[i];
                if (label < 0 || label > Info.NullClass)
                {
                    throw new SpecException("class", $"{label} is not a class of {Info.Name}: allowed 0..{Info.ClassCount - 1}");
                }

                mapped[i] = label == Info.NullClass ? Package.NullClass : label;
            }

            using var labelTensor = _backend.UploadLabels(mapped);
            output = previous is null ? module.Forward(x.Handle, time, labelTensor) : module.Forward(x.Handle, time, previous.Handle, labelTensor);
        }
        else
        {
            output = previous is null ? module.Forward(x.Handle, time) : module.Forward(x.Handle, time, previous.Handle);
        }

        var result = Checked(compiled, output, x.Batch, Info.Shape);
        if (Package.Time.VelocitySign == 1)
        {
            return result;
        }

        using (result)
        {
            return _backend.Scale(result, Package.Time.VelocitySign);
        }
    }

    private static TorchTensor Checked(CompiledModule module, TorchTensorHandle output, int batch, Resolution shape)
    {
        var dims = TorchTensorBackend.ShapeOf(output);
        if (dims.Length != 4 || dims[0] != batch || dims[1] != shape.Channels || dims[2] != shape.Height || dims[3] != shape.Width)
        {
            output.Dispose();
            throw new TorchException(
                $"{Path.GetFileName(module.Path)} ({module.Role}) returned {TorchModule.Describe(dims)} for a batch of {batch}; model.json expects [{batch}, {shape.Channels}, {shape.Height}, {shape.Width}]");
        }

        return new TorchTensor(output, batch, shape);
    }

    private void Check()
    {
        var labels = Enumerable.Repeat(Info.NullClass, Info.IsConditional ? 1 : 0).ToArray();
        using var x = _backend.Upload(new float[Info.Shape.Elements], 1, Info.Shape);
        try
        {
            using var v = Velocity(x, 0.5, labels);
            if (Refiner is not null)
            {
                using var r = Refiner.Refine(x, 0.5, v, labels);
            }

            if (_decoder is not null)
            {
                using var image = Decode(x);
            }
        }
        catch (TorchException e)
        {
            throw new SpecException("model", $"{Package.Directory}: does not match its model.json (input_shape {Info.Shape}, classes {Info.ClassCount}): {e.Message}");
        }
    }

    private static CompiledModule LoadModule(string path, string device, string role, CompilationPolicy compilation, bool cudaGraphs)
    {
        try
        {
            return CompiledModule.Load(path, device, role, compilation, cudaGraphs);
        }
        catch (TorchException e)
        {
            throw new SpecException("model", e.Message);
        }
    }

    private sealed class TorchRefiner(TorchFlowModel model, CompiledModule refiner) : IVelocityRefiner
    {
        public ITensor Refine(ITensor x, double t, ITensor previousVelocity, ReadOnlySpan<int> labels)
        {
            var tx = TorchTensorBackend.Torch(x);
            var previous = TorchTensorBackend.Torch(previousVelocity);
            if (model.Package.Time.VelocitySign == 1)
            {
                return model.Call(refiner, tx, t, previous, labels);
            }

            // The refiner works in the model's own sign convention on both sides.
            using var flipped = (TorchTensor)model._backend.Scale(previous, model.Package.Time.VelocitySign);
            return model.Call(refiner, tx, t, flipped, labels);
        }
    }
}
