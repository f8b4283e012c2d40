namespace OrleansFlow.Client.Benchmarks;

/// <summary>One bench run: part (a), then part (b), each printed as soon as it is measured.</summary>
internal static class Bench
{
    public static async Task<BenchReport> RunAsync(BenchSettings settings, bool quick, TextWriter output, StatusLine status, CancellationToken cancellationToken)
    {
        var machine = MachineInfo.Now();
        BenchPrinter.WriteMachine(output, machine, quick);

        status.Report($"(a) embedded runner vs direct loops, {settings.Repetitions} runs each");
        var overhead = await OverheadBenchmark.RunAsync(settings, cancellationToken);
        status.Clear();
        BenchPrinter.WriteOverhead(output, overhead);
        await output.FlushAsync(cancellationToken);

        var samplers = SamplerBenchmark.Run(settings, status, cancellationToken);
        status.Clear();
        BenchPrinter.WriteSamplers(output, samplers);
        BenchPrinter.WriteMatched(output, samplers);
        return new BenchReport(machine, quick, overhead, samplers);
    }
}
