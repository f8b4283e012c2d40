using OrleansFlow.Jobs;

namespace OrleansFlow.Cluster;

/// <summary>
/// Specs and summaries already have a JSON contract (job.json, summary.json, the HTTP API): in grain
/// messages and grain state they travel as that JSON too, so there is one wire form to keep
/// compatible. Registered by Orleans' code generator, so every silo and client gets it without setup.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansFlow.JsonContract")]
public readonly struct JsonContractSurrogate(byte[] json)
{
    [Id(0)]
    public readonly byte[] Json = json;
}

[RegisterConverter]
public sealed class JobSpecConverter : IConverter<JobSpec, JsonContractSurrogate>
{
    public JobSpec ConvertFromSurrogate(in JsonContractSurrogate surrogate) => JobJson.Deserialize<JobSpec>(surrogate.Json);

    public JsonContractSurrogate ConvertToSurrogate(in JobSpec value) => new(JobJson.Serialize(value));
}

[RegisterConverter]
public sealed class JobSummaryConverter : IConverter<JobSummary, JsonContractSurrogate>
{
    public JobSummary ConvertFromSurrogate(in JsonContractSurrogate surrogate) => JobJson.Deserialize<JobSummary>(surrogate.Json);

    public JsonContractSurrogate ConvertToSurrogate(in JobSummary value) => new(JobJson.Serialize(value));
}

[RegisterConverter]
public sealed class CompilationChoiceConverter : IConverter<CompilationChoice, JsonContractSurrogate>
{
    public CompilationChoice ConvertFromSurrogate(in JsonContractSurrogate surrogate) => JobJson.Deserialize<CompilationChoice>(surrogate.Json);

    public JsonContractSurrogate ConvertToSurrogate(in CompilationChoice value) => new(JobJson.Serialize(value));
}
