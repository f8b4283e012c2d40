namespace OrleansFlow.Models.Registry;

/// <summary>What a registry entry holds; each kind has its own prefix, so a model and a reference may share a name.</summary>
public enum RegistryKind
{
    /// <summary>A model package (<c>model.json</c> + TorchScript) or an analytic mixture (<c>mixture.json</c>), under <c>models/</c>.</summary>
    Model,

    /// <summary>A feature network for FID (one TorchScript file), under <c>features/</c>.</summary>
    Features,

    /// <summary>FID reference statistics (one <c>.npz</c> with <c>mu</c>, <c>sigma</c>), under <c>references/</c>.</summary>
    Reference,
}

/// <summary>The blob prefix and the job field of each <see cref="RegistryKind"/>, in one place.</summary>
public static class RegistryKinds
{
    public const string Allowed = "model, features or reference";

    public static string Prefix(this RegistryKind kind) => kind switch
    {
        RegistryKind.Model => "models",
        RegistryKind.Features => "features",
        _ => "references",
    };

    /// <summary>The job spec field that names an entry of this kind (what errors are about).</summary>
    public static string Field(this RegistryKind kind) => kind switch
    {
        RegistryKind.Model => "model",
        RegistryKind.Features => "features",
        _ => "reference",
    };

    public static RegistryKind? Parse(string text) => text.ToLowerInvariant() switch
    {
        "model" or "models" => RegistryKind.Model,
        "features" or "feature" => RegistryKind.Features,
        "reference" or "references" => RegistryKind.Reference,
        _ => null,
    };
}
