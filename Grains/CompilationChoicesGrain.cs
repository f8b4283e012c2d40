using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;
using OrleansFlow.Jobs;

namespace OrleansFlow.Cluster;

/// <summary>
/// First offer wins, per (role, batch); see <see cref="ICompilationChoicesGrain"/>. Reentrant so that a silo
/// waiting for another's timing does not hold up the offer it waits for; state changes only between awaits.
/// </summary>
[Reentrant]
public sealed class CompilationChoicesGrain(IClusterMembershipService membership) : Grain, ICompilationChoicesGrain
{
    /// <summary>
    /// How often a silo waiting for another's timing looks whether membership declared that silo dead: a silo killed
    /// while timing holds the others' first shards of the model this long after its death at most, not a whole lease.
    /// </summary>
    private static readonly TimeSpan OwnerCheckPeriod = TimeSpan.FromSeconds(1);

    private readonly Dictionary<(string Role, int Batch), CompilationChoice> _agreed = [];
    private readonly Dictionary<int, Claim> _claims = [];

    public async Task<CompilationAgreement> JoinAsync(IReadOnlyList<int> batches, SiloAddress silo, CancellationToken cancellationToken)
    {
        var claimed = new List<int>();
        try
        {
            // In ascending order, as every caller goes: a silo never waits for a batch size while holding a claim
            // on a larger one, so two silos cannot wait for each other.
            foreach (var batch in batches.Distinct().Order())
            {
                while (!IsAgreed(batch))
                {
                    var now = DateTimeOffset.UtcNow;
                    if (!_claims.TryGetValue(batch, out var claim) || claim.Until <= now || membership.CurrentSnapshot.GetSiloStatus(claim.Silo) == SiloStatus.Dead)
                    {
                        // A lapsed claim's other waiters look again at once, and find this one.
                        claim?.Ended.TrySetResult();
                        _claims[batch] = new Claim(now + CompilationClaim.Lease, silo);
                        claimed.Add(batch);
                        break;
                    }

                    var wait = claim.Until - now;
                    await Task.WhenAny(claim.Ended.Task, Task.Delay(wait < OwnerCheckPeriod ? wait : OwnerCheckPeriod, cancellationToken));
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }
        }
        catch
        {
            // The caller stopped waiting (cancelled): what it claimed on the way goes to the silos waiting for it.
            EndClaims(claimed);
            throw;
        }

        return new CompilationAgreement([.. _agreed.Values.Where(c => batches.Contains(c.Batch))], claimed);
    }

    public Task<IReadOnlyList<CompilationChoice>> OfferAsync(IReadOnlyList<int> claimed, IReadOnlyList<CompilationChoice> timed, CancellationToken cancellationToken)
    {
        foreach (var choice in timed)
        {
            _agreed.TryAdd((choice.Role, choice.Batch), choice);
        }

        EndClaims(claimed);
        return Task.FromResult<IReadOnlyList<CompilationChoice>>([.. timed.Select(c => _agreed[(c.Role, c.Batch)])]);
    }

    private void EndClaims(IEnumerable<int> batches)
    {
        foreach (var batch in batches)
        {
            if (_claims.Remove(batch, out var claim))
            {
                claim.Ended.TrySetResult();
            }
        }
    }

    private bool IsAgreed(int batch) => _agreed.Keys.Any(k => k.Batch == batch);

    /// <summary>A batch size being timed by <see cref="Silo"/>, until its offer, its death or <see cref="Until"/>.</summary>
    private sealed record Claim(DateTimeOffset Until, SiloAddress Silo)
    {
        public TaskCompletionSource Ended { get; } = new();
    }
}
