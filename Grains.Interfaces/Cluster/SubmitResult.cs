namespace OrleansFlow.Cluster;

/// <summary>The job a submission refers to; <see cref="Created"/> is false when an idempotency key matched an existing job.</summary>
public sealed record SubmitResult(JobRecord Job, bool Created);
