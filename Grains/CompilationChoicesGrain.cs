using Orleans;
using OrleansFlow.Jobs;

namespace OrleansFlow.Cluster;

/// <summary>First offer wins, per (role, batch); see <see cref="ICompilationChoicesGrain"/>. Not reentrant: offers are applied one at a time.</summary>
public sealed class CompilationChoicesGrain : Grain, ICompilationChoicesGrain
{
    private readonly Dictionary<(string Role, int Batch), CompilationChoice> _agreed = [];

    public Task<IReadOnlyList<CompilationChoice>> GetAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<CompilationChoice>>([.. _agreed.Values]);

    public Task<IReadOnlyList<CompilationChoice>> OfferAsync(IReadOnlyList<CompilationChoice> timed, CancellationToken cancellationToken)
    {
        foreach (var choice in timed)
        {
            _agreed.TryAdd((choice.Role, choice.Batch), choice);
        }

        return Task.FromResult<IReadOnlyList<CompilationChoice>>([.. timed.Select(c => _agreed[(c.Role, c.Batch)])]);
    }
}
