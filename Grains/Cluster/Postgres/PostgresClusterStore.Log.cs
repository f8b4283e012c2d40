using Microsoft.Extensions.Logging;

namespace OrleansFlow.Cluster.Postgres;

public sealed partial class PostgresClusterStore
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster store unavailable, the caller will retry: {Reason}")]
    private partial void LogUnavailable(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job} failed: {Error}")]
    private partial void LogJobFailed(string job, string error);
}
