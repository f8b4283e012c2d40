using OrleansFlow.Jobs;
using OrleansFlow.Models.Registry;

namespace OrleansFlow.Silo.Api;

/// <summary>
/// Over the API, models, feature networks and references are registry names, never paths: a caller
/// must not reach the silo's file system. Checked on the text alone, before anything is loaded or read,
/// and the refusal is the same fixed sentence whatever the value points at, so it reveals nothing.
/// </summary>
public static class ApiNames
{
    /// <summary>Throws <see cref="SpecException"/> naming the first of model, features, reference that is not a name.</summary>
    public static JobSpec Require(JobSpec spec)
    {
        Require(spec.Model, RegistryKind.Model);
        Require(spec.Features, RegistryKind.Features);
        Require(spec.Reference, RegistryKind.Reference);
        return spec;
    }

    /// <summary>A model name of a generate request.</summary>
    public static string RequireModel(string model) => Require(model, RegistryKind.Model)!;

    // gmm-demo, the built-in model, is itself a well-formed name; `gmm:<path>` and paths are not.
    private static string? Require(string? value, RegistryKind kind) =>
        value is null ? null : RegistryName.Parse(value, kind.Field()).Value;
}
