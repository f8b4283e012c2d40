using System.Collections.Concurrent;

namespace OrleansFlow.Serving;

/// <summary>
/// Where <c>/v1/generate</c> sampling runs: a few dedicated threads of their own, not the .NET thread
/// pool that Orleans' scheduler, Kestrel and <c>/healthz</c> share, so any number of expensive requests
/// cannot starve the silo's other work; and the per-silo cap on requests admitted at once (queued or
/// running), beyond which the API answers 429 instead of queueing without bound.
/// </summary>
public sealed class GenerateExecutor : IDisposable
{
    private readonly BlockingCollection<Action> _work = new();
    private readonly Thread[] _threads;
    private readonly int _maxRequests;
    private int _admitted;

    public GenerateExecutor(int threads, int maxRequests)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRequests, 1);
        _maxRequests = maxRequests;
        _threads = [.. Enumerable.Range(0, threads).Select(i => new Thread(Loop) { IsBackground = true, Name = $"generate-{i}" })];
        foreach (var thread in _threads)
        {
            thread.Start();
        }
    }

    public int Threads => _threads.Length;

    /// <summary>Requests admitted now (queued in a batcher or running).</summary>
    public int Admitted => Volatile.Read(ref _admitted);

    /// <summary>Admits one request unless the cap is reached; dispose the ticket when the request is done.</summary>
    public IDisposable? TryAdmit()
    {
        if (Interlocked.Increment(ref _admitted) > _maxRequests)
        {
            Interlocked.Decrement(ref _admitted);
            return null;
        }

        return new Ticket(this);
    }

    /// <summary>Runs <paramref name="work"/> on one of the executor's threads.</summary>
    public void Post(Action work) => _work.Add(work);

    public void Dispose()
    {
        _work.CompleteAdding();
        foreach (var thread in _threads)
        {
            thread.Join(TimeSpan.FromSeconds(5));
        }

        _work.Dispose();
    }

    private void Loop()
    {
        foreach (var work in _work.GetConsumingEnumerable())
        {
            // Work items complete their own requests (results and errors); nothing may escape and end the thread.
            try
            {
                work();
            }
            catch (Exception)
            {
            }
        }
    }

    private sealed class Ticket(GenerateExecutor executor) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref executor._admitted);
            }
        }
    }
}
