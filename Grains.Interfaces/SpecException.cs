namespace OrleansFlow;

/// <summary>
/// A user-supplied value is out of range or malformed. The message is one line that names the
/// field and what is allowed, so a CLI or an HTTP API can show it as it is.
/// </summary>
public sealed class SpecException : Exception
{
    public SpecException(string field, string message)
        : base($"{field}: {message}")
    {
        Field = field;
        Detail = message;
    }

    /// <summary>The option or JSON field the error is about, e.g. <c>--sampler</c> or <c>samples</c>.</summary>
    public string Field { get; }

    /// <summary>The message without the field, for a caller that names the field differently.</summary>
    public string Detail { get; }
}
