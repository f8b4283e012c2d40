namespace OrleansFlow.Jobs;

/// <summary>A job ended in failure; the message is the error recorded with it (e.g. the failing shard's).</summary>
public sealed class JobFailedException(string message) : Exception(message);
