namespace OrleansFlow.Models.Registry;

/// <summary>One file of a registry entry: its path inside the entry ('/'-separated), size and lower-case hex SHA-256.</summary>
public sealed record RegistryFile(string Path, long Size, string Sha256);
