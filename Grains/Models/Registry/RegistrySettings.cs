namespace OrleansFlow.Models.Registry;

/// <summary>
/// The model registry as the environment configures it, read as the silos read theirs
/// (<c>OrleansFlow__Models</c>, else <c>OrleansFlow__Store</c>; the containers likewise), so that
/// <c>orleansflow models</c>, embedded jobs and the silos of one machine agree on one registry.
/// </summary>
public static class RegistrySettings
{
    /// <summary>The local directory used when nothing is configured.</summary>
    public const string DefaultDirectory = "store";

    /// <summary>The configured registry store, or null.</summary>
    public static string? Store => Setting("Models") ?? Setting("Store");

    /// <summary>The container, when <see cref="Store"/> is a connection string.</summary>
    public static string? Container => Setting("ModelsContainer") ?? Setting("StoreContainer");

    private static string? Setting(string key) => Environment.GetEnvironmentVariable("OrleansFlow__" + key) is { Length: > 0 } value ? value : null;
}
