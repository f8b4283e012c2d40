namespace OrleansFlow.Cluster;

/// <summary>A <see cref="SpecException"/> as a grain reply: the field and the one-line message.</summary>
[GenerateSerializer, Immutable, Alias("OrleansFlow.SpecError")]
public sealed record SpecError([property: Id(0)] string Field, [property: Id(1)] string Message)
{
    public static SpecError Of(SpecException e) => new(e.Field, e.Message);

    public SpecException ToException() => new(Field, Message[(Message.StartsWith(Field + ": ", StringComparison.Ordinal) ? Field.Length + 2 : 0)..]);
}
