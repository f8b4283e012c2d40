namespace OrleansFlow.Ids;

/// <summary>One shard of a job: the contiguous range of sample indices it covers is fixed by the job's plan.</summary>
public readonly record struct ShardId(JobId Job, int Index)
{
    public override string ToString() => $"{Job}/{Index:D5}";

    public static ShardId Parse(string value)
    {
        var slash = value.LastIndexOf('/');
        if (slash <= 0 || !int.TryParse(value.AsSpan(slash + 1), out var index) || index < 0)
        {
            throw new SpecException("shardId", $"'{value}' is not a shard id: expected '<jobId>/<index>'");
        }

        return new ShardId(JobId.Parse(value[..slash]), index);
    }
}
