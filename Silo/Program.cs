using OrleansFlow;
using OrleansFlow.Silo.Hosting;

try
{
    var app = SiloHost.Build(args);
    await app.RunAsync();
    return 0;
}
catch (SpecException e)
{
    // Bad configuration: one line naming the setting, nothing started or written.
    await Console.Error.WriteLineAsync($"orleansflow-silo: {e.Message}");
    return 2;
}
catch (Exception e) when (SiloHost.StartupFailure(e) is { } reason)
{
    await Console.Error.WriteLineAsync($"orleansflow-silo: {reason}");
    return 1;
}
