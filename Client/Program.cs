using System.Runtime.InteropServices;
using OrleansFlow.Client;

// Ctrl+C (SIGINT) and SIGTERM cancel the job: finished shards are kept and the exit code is 130.
// A second signal is not intercepted, so it ends the process at once.
using var interrupted = new CancellationTokenSource();
void Interrupt(PosixSignalContext context)
{
    context.Cancel = !interrupted.IsCancellationRequested;
    interrupted.Cancel();
}

using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);
return await Cli.RunAsync(args, Console.Out, Console.Error, interrupted.Token);
