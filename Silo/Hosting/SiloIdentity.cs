namespace OrleansFlow.Silo.Hosting;

/// <summary>This silo's node id and advertised address.</summary>
public sealed record SiloIdentity(string NodeId, string Address);
