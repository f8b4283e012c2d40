namespace OrleansFlow.Cluster;

/// <summary>
/// The job a submission refers to (<see cref="Created"/> is false when an idempotency key matched an
/// existing job), or the error of a spec that was refused. <see cref="KeyConflict"/>: the idempotency key
/// was used before for a different spec (HTTP 422, as the IETF Idempotency-Key header draft specifies);
/// <see cref="Error"/> then names the key.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansFlow.SubmitResult")]
public sealed record SubmitResult(
    [property: Id(0)] JobRecord? Job,
    [property: Id(1)] bool Created,
    [property: Id(2)] SpecError? Error = null,
    [property: Id(3)] bool KeyConflict = false);
