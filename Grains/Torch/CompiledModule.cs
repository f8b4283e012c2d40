using System.Collections.Concurrent;
using System.Diagnostics;
using OrleansFlow.Jobs;
using OrleansFlow.Telemetry;

namespace OrleansFlow.Torch;

/// <summary>
/// One TorchScript file in the compiled form that runs fastest for each batch size (FlowTurbo's
/// sample-aware compilation, measured rather than assumed). Until a batch size has been chosen for
/// (<see cref="Choose"/>, at warm-up), it runs as loaded, or in the policy's fixed form. Forms are
/// loaded on first use and kept, so a later batch size is timed without reloading.
/// </summary>
public sealed class CompiledModule : IDisposable
{
    private const int WarmRuns = 2;
    private const int TimedRuns = 3;

    private static readonly TorchCompilation[] Candidates = [TorchCompilation.AsLoaded, TorchCompilation.Frozen, TorchCompilation.FrozenOptimized];

    private readonly CompilationPolicy _policy;
    private readonly TorchModule?[] _forms = new TorchModule?[Candidates.Length];
    // Per batch size: the choice as recorded, and the loaded form it names (looked up on every forward).
    private readonly ConcurrentDictionary<int, (CompilationChoice Choice, TorchModule Form)> _chosen = new();
    private readonly Lock _lock = new();
    private readonly bool _cudaGraphs;

    private CompiledModule(string path, string device, string role, CompilationPolicy policy, bool cudaGraphs)
    {
        Path = path;
        Device = device;
        Role = role;
        _policy = policy;
        _cudaGraphs = cudaGraphs;
        Form(policy.Fixed ?? TorchCompilation.AsLoaded);
    }

    public string Path { get; }

    public string Device { get; }

    /// <summary>predictor, refiner, decoder: how summaries and metrics name it.</summary>
    public string Role { get; }

    /// <summary>The choices made so far, by batch size.</summary>
    public IReadOnlyList<CompilationChoice> Choices => [.. _chosen.Values.Select(c => c.Choice).OrderBy(c => c.Batch)];

    /// <summary>
    /// Loads the file in the form untimed batches run (as loaded, or the policy's fixed form). With
    /// <paramref name="cudaGraphs"/> every form replays a CUDA graph per input shape (CUDA devices only).
    /// </summary>
    public static CompiledModule Load(string path, string device, string role, CompilationPolicy policy, bool cudaGraphs = false) =>
        new(path, device, role, policy, cudaGraphs);

    /// <summary>The form to run a batch of <paramref name="batch"/> rows in.</summary>
    public TorchModule For(int batch) =>
        _chosen.TryGetValue(batch, out var chosen) ? chosen.Form : Form(_policy.Fixed ?? TorchCompilation.AsLoaded);

    /// <summary>
    /// Times every candidate form on one representative batch (<paramref name="run"/> runs one forward
    /// of a form and returns its outputs on the host) and keeps the fastest allowed one for that batch
    /// size. A form whose outputs differ from the as-loaded module's in any bit is timed and recorded
    /// but not chosen unless the policy allows numerics changes. Idempotent per batch size.
    /// </summary>
    public CompilationChoice Choose(int batch, Func<TorchModule, float[]> run)
    {
        lock (_lock)
        {
            if (_chosen.TryGetValue(batch, out var made))
            {
                return made.Choice;
            }

            CompilationChoice choice;
            TorchModule chosen;
            if (_policy.Fixed is { } form)
            {
                chosen = Form(form);
                choice = new CompilationChoice(Role, batch, form.Name(), [new CompilationTiming(form.Name(), MedianMilliseconds(chosen, run, out _), true)]);
            }
            else
            {
                float[]? reference = null;
                var timings = new List<CompilationTiming>();
                var best = TorchCompilation.AsLoaded;
                var bestMs = double.PositiveInfinity;
                foreach (var candidate in Candidates)
                {
                    var ms = MedianMilliseconds(Form(candidate), run, out var outputs);
                    reference ??= outputs;
                    var same = outputs.AsSpan().SequenceEqual(reference);
                    timings.Add(new CompilationTiming(candidate.Name(), ms, same));
                    if ((same || _policy.AllowNumericsChanges) && ms < bestMs)
                    {
                        (best, bestMs) = (candidate, ms);
                    }
                }

                choice = new CompilationChoice(Role, batch, best.Name(), timings);
                chosen = Form(best);
            }

            _chosen[batch] = (choice, chosen);
            foreach (var timing in choice.Timings)
            {
                OrleansFlowMetrics.ModelCompilationForward.Record(
                    timing.Milliseconds / 1000,
                    new KeyValuePair<string, object?>("role", Role),
                    new KeyValuePair<string, object?>("batch", batch),
                    new KeyValuePair<string, object?>("variant", timing.Variant),
                    new KeyValuePair<string, object?>("chosen", timing.Variant == choice.Chosen));
            }

            return choice;
        }
    }

    /// <summary>
    /// Runs <paramref name="choice"/>'s form for its batch size from now on instead of timing one here (a
    /// silo of the same node class timed it, <see cref="Cluster.ICompilationChoicesGrain"/>); replaces a
    /// choice made here. Returns false and changes nothing when this module times nothing (a fixed policy),
    /// the choice is another module's, or its form changed the outputs and the policy forbids that.
    /// </summary>
    public bool Adopt(CompilationChoice choice)
    {
        if (_policy.Fixed is not null || choice.Role != Role || !TorchCompilationNames.TryParse(choice.Chosen, out var form)
            || (!_policy.AllowNumericsChanges && choice.Timings.FirstOrDefault(t => t.Variant == choice.Chosen) is not { SameOutputs: true }))
        {
            return false;
        }

        lock (_lock)
        {
            _chosen[choice.Batch] = (choice, Form(form));
        }

        return true;
    }

    public void Dispose()
    {
        foreach (var form in _forms)
        {
            form?.Dispose();
        }
    }

    private TorchModule Form(TorchCompilation compilation)
    {
        lock (_lock)
        {
            if (_forms[(int)compilation] is { } loaded)
            {
                return loaded;
            }

            var module = TorchModule.Load(Path, Device, compilation);
            if (_cudaGraphs)
            {
                module.EnableCudaGraphs(true);
            }

            return _forms[(int)compilation] = module;
        }
    }

    /// <summary>
    /// Median of <see cref="TimedRuns"/> forwards after <see cref="WarmRuns"/> untimed ones (TorchScript's
    /// profiling executor specialises a graph on its first calls for a shape).
    /// </summary>
    private static double MedianMilliseconds(TorchModule module, Func<TorchModule, float[]> run, out float[] outputs)
    {
        for (var i = 0; i < WarmRuns; i++)
        {
            run(module);
        }

        // The outputs compared are those of a specialised graph, the ones a job's batches will get.
        outputs = [];
        var times = new double[TimedRuns];
        for (var i = 0; i < TimedRuns; i++)
        {
            var clock = Stopwatch.StartNew();
            outputs = run(module);
            times[i] = clock.Elapsed.TotalMilliseconds;
        }

        Array.Sort(times);
        return times[TimedRuns / 2];
    }
}
