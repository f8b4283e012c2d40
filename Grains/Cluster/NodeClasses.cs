namespace OrleansFlow.Cluster;

/// <summary>What tells one kind of node from another, for the compiled forms silos share (<see cref="OrleansFlowOptions.NodeClass"/>).</summary>
public static class NodeClasses
{
    /// <summary>The CPU model (<c>/proc/cpuinfo</c>) and the cores this process may use, e.g. <c>AMD EPYC/2 cpus</c>.</summary>
    public static string OfThisMachine { get; } = $"{CpuModel()}/{Environment.ProcessorCount} cpus";

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?[(line.IndexOf(':') + 1)..].Trim() ?? System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
        }
        catch (IOException)
        {
            return System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
        }
    }
}
