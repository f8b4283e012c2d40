using System.Collections.Concurrent;
using OrleansFlow.Cluster.Postgres;

namespace OrleansFlow.Cluster.Tests.Postgres;

/// <summary>A grain that exercises each PostgreSQL provider: state in <see cref="OrleansPostgres.StorageName"/>, a reminder, its silo's address.</summary>
[Alias("OrleansFlow.Cluster.Tests.IProbeGrain")]
public interface IProbeGrain : IGrainWithStringKey
{
    [Alias("Write")]
    Task WriteAsync(string value);

    [Alias("Read")]
    Task<string?> ReadAsync();

    [Alias("Remind")]
    Task RemindAsync(TimeSpan dueTime);

    [Alias("Forget")]
    Task<bool> ForgetAsync();

    [Alias("Silo")]
    Task<string> SiloAsync();
}

[GenerateSerializer]
[Alias("OrleansFlow.Cluster.Tests.ProbeState")]
public sealed class ProbeState
{
    [Id(0)]
    public string? Value { get; set; }
}

public sealed class ProbeGrain([PersistentState("probe", OrleansPostgres.StorageName)] IPersistentState<ProbeState> state)
    : Grain, IProbeGrain, IRemindable
{
    /// <summary>The reminders that fired, by grain key (the TestCluster's silos share this process).</summary>
    public static ConcurrentDictionary<string, TaskCompletionSource<string>> Fired { get; } = new();

    public async Task WriteAsync(string value)
    {
        state.State.Value = value;
        await state.WriteStateAsync();
    }

    public Task<string?> ReadAsync() => Task.FromResult(state.State.Value);

    public Task RemindAsync(TimeSpan dueTime) =>
        this.RegisterOrUpdateReminder("probe", dueTime, TimeSpan.FromMinutes(1));

    /// <summary>Unregisters the reminder; false when there was none.</summary>
    public async Task<bool> ForgetAsync()
    {
        if (await this.GetReminder("probe") is not { } reminder)
        {
            return false;
        }

        await this.UnregisterReminder(reminder);
        return true;
    }

    public Task<string> SiloAsync() => Task.FromResult(RuntimeIdentity);

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        Fired.GetOrAdd(this.GetPrimaryKeyString(), _ => new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously))
            .TrySetResult(RuntimeIdentity);
        return Task.CompletedTask;
    }
}
