namespace OrleansFlow.Cluster;

/// <summary>
/// A <see cref="SpecException"/> as a grain reply: the field, and the message without it
/// (<see cref="SpecException.Detail"/>), so the field is prefixed in one place (the exception) whoever made the error.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansFlow.SpecError")]
public sealed record SpecError([property: Id(0)] string Field, [property: Id(1)] string Detail)
{
    public static SpecError Of(SpecException e) => new(e.Field, e.Detail);

    /// <summary>The one line a user reads: <c>field: detail</c>, as the exception's message.</summary>
    public string Message => $"{Field}: {Detail}";

    public SpecException ToException() => new(Field, Detail);
}
