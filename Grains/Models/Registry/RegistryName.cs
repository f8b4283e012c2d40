namespace OrleansFlow.Models.Registry;

/// <summary>
/// The name of a registry entry: <c>digits-rf</c>, <c>digits-rf@2</c>. Letters, digits, '-', '_' and
/// '.', starting with a letter or digit, no "..", at most 100 characters, and an optional
/// <c>@version</c> of the same characters. A version is only part of the name (a new version is a new
/// name): entries are never overwritten. No name can be a path, so a name is also a safe blob segment.
/// </summary>
public readonly record struct RegistryName
{
    public const int MaxLength = 100;
    public const string Allowed = "a registry name: letters, digits, '-', '_', '.' (starting with a letter or digit, no '..'), optionally '@version', at most 100 characters";

    private RegistryName(string value)
    {
        Value = value;
    }

    public string Value { get; }

    /// <summary>Parses <paramref name="text"/>; throws <see cref="SpecException"/> naming <paramref name="field"/> when it is not a name.</summary>
    public static RegistryName Parse(string? text, string field) =>
        TryParse(text, out var name) ? name : throw new SpecException(field, $"must be {Allowed}");

    public static bool TryParse(string? text, out RegistryName name)
    {
        name = default;
        if (string.IsNullOrEmpty(text) || text.Length > MaxLength)
        {
            return false;
        }

        var parts = text.Split('@');
        if (parts.Length > 2 || !parts.All(IsPart))
        {
            return false;
        }

        name = new RegistryName(text);
        return true;
    }

    public override string ToString() => Value ?? string.Empty;

    // A part is also a valid blob segment: it never ends in '.' (Azure drops it) and has no "..".
    private static bool IsPart(string part) =>
        part.Length > 0 && char.IsAsciiLetterOrDigit(part[0]) && !part.EndsWith('.') && !part.Contains("..", StringComparison.Ordinal)
        && part.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
