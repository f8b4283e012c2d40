namespace OrleansFlow.Client.Tests.Support;

/// <summary>What one <c>orleansflow</c> invocation returned and printed.</summary>
internal sealed record CliResult(int ExitCode, string Output, string Error)
{
    /// <summary>The non-empty lines written to stderr.</summary>
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit {ExitCode}; stdout: {Output.Trim()}; stderr: {Error.Trim()}";
}
