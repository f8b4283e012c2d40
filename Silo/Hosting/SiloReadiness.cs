namespace OrleansFlow.Silo.Hosting;

/// <summary>Whether this silo's migrations ran; <c>/readyz</c> and the workers wait for it.</summary>
public sealed class SiloReadiness
{
    private readonly TaskCompletionSource _migrated = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsMigrated => _migrated.Task.IsCompleted;

    public Task WhenMigrated => _migrated.Task;

    public void MarkMigrated() => _migrated.TrySetResult();
}
