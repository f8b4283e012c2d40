namespace OrleansFlow.Ids;

/// <summary>Identifies one job; safe to use as a blob-name segment (lowercase letters, digits, '-').</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(JobIdJsonConverter))]
public readonly record struct JobId
{
    private const int MaxLength = 64;

    public JobId(string value)
    {
        if (!IsValid(value))
        {
            throw new SpecException("jobId", $"'{value}' is not a job id: use 1-{MaxLength} characters of a-z, 0-9 and '-', not starting with '-'");
        }

        Value = value;
    }

    public string Value { get; }

    public static JobId New() => new(Guid.NewGuid().ToString("N")[..16]);

    public static JobId Parse(string value) => new(value);

    public override string ToString() => Value;

    private static bool IsValid(string? value) =>
        !string.IsNullOrEmpty(value)
        && value.Length <= MaxLength
        && value[0] != '-'
        && value.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-');
}
