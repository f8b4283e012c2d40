using System.Diagnostics;
using OrleansFlow.Sampling;
using OrleansFlow.Telemetry;

namespace OrleansFlow.Serving;

/// <summary>
/// Dynamic batching of <c>/v1/generate</c> for one warm model, sampler and guidance: concurrent requests
/// are concatenated into one sampler run (each model call then evaluates every request's rows at once)
/// and split again. Each request's noise and labels come from its own seed and indices, so a sample is
/// the same whether its request ran alone or shared a run — provided the model's rows do not depend on
/// the batch layout, which <see cref="RowLayoutProbe"/> checks once per model; when they do, requests
/// run one by one (on up to <see cref="GenerateExecutor.Threads"/> threads) instead.
/// A run starts when <see cref="GenerateBatchOptions.MaxBatchSamples"/> rows are waiting, when the
/// oldest request has waited <see cref="GenerateBatchOptions.MaxWait"/>, or at once when no other
/// admitted request is on its way; a request is never split across runs. Cancelled requests leave the
/// queue at once; a run stops at its next model call once every request in it was cancelled.
/// </summary>
public sealed class GenerateBatcher
{
    private readonly object _lock = new();
    private readonly List<Request> _pending = [];
    private readonly GenerateExecutor _executor;
    private readonly GenerateBatchOptions _options;
    private readonly Lazy<bool> _shareable;
    private readonly KeyValuePair<string, object?> _modelTag;
    private int _drains;
    private int _running;

    public GenerateBatcher(string model, GenerateExecutor executor, GenerateBatchOptions options, Lazy<bool> rowsIndependentOfLayout)
    {
        _executor = executor;
        _options = options;
        _shareable = rowsIndependentOfLayout;
        _modelTag = new("model", model);
    }

    /// <summary>Whether requests share runs (known after the first run; false until then).</summary>
    public bool SharesRuns => _shareable.IsValueCreated && _shareable.Value && _options.MaxBatchSamples > 1;

    /// <summary>Samples [0, count) of the request's generator (its seed, labels), possibly in a run shared with others.</summary>
    public Task<SampleBatch> GenerateAsync(BatchGenerator generator, int count, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<SampleBatch>(cancellationToken);
        }

        var request = new Request(generator, count, cancellationToken, Stopwatch.GetTimestamp());
        bool startDrain;
        lock (_lock)
        {
            _pending.Add(request);
            startDrain = _drains < MaxDrains;
            if (startDrain)
            {
                _drains++;
            }

            Monitor.PulseAll(_lock);
        }

        request.Registration = cancellationToken.Register(() => Cancel(request));
        if (startDrain)
        {
            _executor.Post(Drain);
        }

        return request.Done.Task;
    }

    private int MaxDrains => !_shareable.IsValueCreated || SharesRuns ? 1 : _executor.Threads;

    private void Cancel(Request request)
    {
        Run? run;
        lock (_lock)
        {
            if (_pending.Remove(request))
            {
                request.Done.TrySetCanceled(request.Cancellation);
                return;
            }

            run = request.Run;
        }

        run?.MemberCancelled();
    }

    /// <summary>
    /// On an executor thread: one run from the queue, then, if requests are left, back to the end of the
    /// executor's queue, so batchers of other models and guidance scales take turns on its threads.
    /// </summary>
    private void Drain()
    {
        _ = _shareable.Value;
        List<Request> take;
        Run run;
        lock (_lock)
        {
            if (SharesRuns)
            {
                WaitForCompany();
            }

            if (_pending.Count == 0)
            {
                _drains--;
                return;
            }

            take = Take();
            run = new Run(take.Count);
            foreach (var request in take)
            {
                request.Run = run;
            }

            _running += take.Count;
            // The probe may have just said "one by one": let more threads help with what is queued.
            while (_drains < MaxDrains && _pending.Count > 0)
            {
                _drains++;
                _executor.Post(Drain);
            }
        }

        try
        {
            Execute(take, run);
        }
        finally
        {
            bool more;
            lock (_lock)
            {
                _running -= take.Count;
                more = _pending.Count > 0;
                if (!more)
                {
                    _drains--;
                }
            }

            run.Dispose();
            if (more)
            {
                _executor.Post(Drain);
            }
        }
    }

    /// <summary>Under the lock: waits (bounded) while more rows could join the oldest request's run.</summary>
    private void WaitForCompany()
    {
        while (_pending.Count > 0)
        {
            var rows = _pending.Sum(r => r.Count);
            var waited = Stopwatch.GetElapsedTime(_pending[0].Enqueued);
            var remaining = _options.MaxWait - waited;
            // Admitted requests not yet queued here (nor running) are on their way; none means no company is coming.
            var onTheirWay = _executor.Admitted - _pending.Count - _running;
            if (rows >= _options.MaxBatchSamples || remaining <= TimeSpan.Zero || onTheirWay <= 0)
            {
                return;
            }

            Monitor.Wait(_lock, remaining);
        }
    }

    /// <summary>Under the lock: the oldest requests that fit one run (at least one; cancelled ones dropped).</summary>
    private List<Request> Take()
    {
        var take = new List<Request>();
        var rows = 0;
        var limit = SharesRuns ? _options.MaxBatchSamples : 1;
        while (_pending.Count > 0)
        {
            var next = _pending[0];
            if (take.Count > 0 && (!SharesRuns || rows + next.Count > limit))
            {
                break;
            }

            _pending.RemoveAt(0);
            if (next.Cancellation.IsCancellationRequested)
            {
                next.Done.TrySetCanceled(next.Cancellation);
                continue;
            }

            take.Add(next);
            rows += next.Count;
        }

        return take;
    }

    private void Execute(List<Request> take, Run run)
    {
        if (take.Count == 0)
        {
            return;
        }

        foreach (var request in take)
        {
            OrleansFlowMetrics.GenerateBatchWait.Record(Stopwatch.GetElapsedTime(request.Enqueued).TotalSeconds, _modelTag);
        }

        try
        {
            var generator = take[0].Generator;
            var rows = take.Sum(r => r.Count);
            var inputs = take.Select(r => r.Generator.Inputs(0, r.Count)).ToList();
            var noise = take.Count == 1 ? inputs[0].Noise : [.. inputs.SelectMany(i => i.Noise)];
            var labels = take.Count == 1 ? inputs[0].Labels : [.. inputs.SelectMany(i => i.Labels)];
            var (samples, nfe) = generator.Run(noise, labels, rows, run.Cancellation);
            OrleansFlowMetrics.RecordBatch(generator.Model.Info.Name, rows, nfe.Predictor, nfe.Refiner);
            OrleansFlowMetrics.GenerateBatchSamples.Record(rows, _modelTag);
            OrleansFlowMetrics.GenerateBatchRequests.Record(take.Count, _modelTag);
            var shape = generator.SampleShape;
            var offset = 0;
            for (var i = 0; i < take.Count; i++)
            {
                var request = take[i];
                var mine = take.Count == 1 ? samples : samples.AsSpan(offset * shape.Elements, request.Count * shape.Elements).ToArray();
                offset += request.Count;
                var ownLabels = request.Generator.Labels.IsConditional ? inputs[i].Labels : [];
                request.Done.TrySetResult(new SampleBatch(0, request.Count, shape, inputs[i].Noise, mine, ownLabels, nfe));
            }

        }
        catch (OperationCanceledException)
        {
            take.ForEach(r => r.Done.TrySetCanceled(r.Cancellation.IsCancellationRequested ? r.Cancellation : new CancellationToken(true)));
        }
        catch (Exception e)
        {
            take.ForEach(r => r.Done.TrySetException(e));
        }
        finally
        {
            take.ForEach(r => r.Registration.Dispose());
        }
    }

    private sealed class Request(BatchGenerator generator, int count, CancellationToken cancellation, long enqueued)
    {
        public BatchGenerator Generator => generator;

        public int Count => count;

        public CancellationToken Cancellation => cancellation;

        public long Enqueued => enqueued;

        public TaskCompletionSource<SampleBatch> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationTokenRegistration Registration { get; set; }

        public Run? Run { get; set; }
    }

    /// <summary>One shared sampler run: cancelled when every request in it was.</summary>
    private sealed class Run(int members) : IDisposable
    {
        private readonly CancellationTokenSource _cancellation = new();
        private int _live = members;

        public CancellationToken Cancellation => _cancellation.Token;

        public void MemberCancelled()
        {
            if (Interlocked.Decrement(ref _live) == 0)
            {
                try
                {
                    _cancellation.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // The run had already finished.
                }
            }
        }

        public void Dispose() => _cancellation.Dispose();
    }
}
