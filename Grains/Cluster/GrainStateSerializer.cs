using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;

namespace OrleansFlow.Cluster;

/// <summary>
/// The serializer contract of every grain state the project stores (<see cref="OrleansFlowOptions.StorageName"/>):
/// Orleans' binary serializer, which names types by their <c>[Alias]</c> and fields by their <c>[Id]</c>, so a
/// stored state survives renamed types, moved namespaces and added fields. Orleans' default for grain
/// storage is Newtonsoft JSON with CLR type names and needs a parameterless constructor for every type it
/// reads back: a ledger holding a summary (whose <c>SamplerSpec</c> has none) could be written but not read.
/// </summary>
/// <remarks>
/// Types inside a state either carry <c>[GenerateSerializer]</c> with <c>[Alias]</c> and <c>[Id]</c>, or travel
/// as their documented JSON (job specs and summaries: <see cref="JobSpecConverter"/>, <see cref="JobSummaryConverter"/>).
/// Each state type also records the version of its own layout (<see cref="JobLedger.Version"/>).
/// </remarks>
public static class GrainStateSerializer
{
    /// <summary>Registers the serializer for the storage named <paramref name="storageName"/> (ADO.NET or memory alike).</summary>
    public static IServiceCollection AddGrainStateSerializer(this IServiceCollection services, string storageName) =>
        services.AddKeyedSingleton<IGrainStorageSerializer>(storageName, (provider, _) => Create(provider.GetRequiredService<Serializer>()));

    public static IGrainStorageSerializer Create(Serializer serializer) => new OrleansGrainStorageSerializer(serializer);
}
