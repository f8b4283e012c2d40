namespace OrleansFlow.Cluster;

/// <summary>
/// The key of a sampler grain: the silo it lives on (<c>SiloAddress.ToParsableString()</c>) and the
/// model. The model fixes the resolution, so this is the brief's (model, resolution) per silo.
/// </summary>
public readonly record struct SamplerGrainKey(string Silo, string Model)
{
    private const char Separator = '|';

    public string ToGrainKey() => $"{Silo}{Separator}{Model}";

    /// <summary>Splits at the first separator: silo addresses never contain it, model paths may.</summary>
    public static SamplerGrainKey Parse(string key)
    {
        var at = key.IndexOf(Separator, StringComparison.Ordinal);
        return at > 0 && at < key.Length - 1
            ? new SamplerGrainKey(key[..at], key[(at + 1)..])
            : throw new SpecException("samplerKey", $"'{key}' is not '<silo>{Separator}<model>'");
    }
}
