namespace OrleansFlow.Silo.Hosting;

/// <summary>Whether this silo's migrations ran (<c>/readyz</c> and the workers wait for it) and whether it is draining.</summary>
public sealed class SiloReadiness
{
    private readonly TaskCompletionSource _migrated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _draining;

    public bool IsMigrated => _migrated.Task.IsCompleted;

    public Task WhenMigrated => _migrated.Task;

    /// <summary>Set once shutdown (SIGTERM) begins: <c>/readyz</c> answers 503 from then on.</summary>
    public bool IsDraining => _draining;

    public void MarkMigrated() => _migrated.TrySetResult();

    public void MarkDraining() => _draining = true;
}
