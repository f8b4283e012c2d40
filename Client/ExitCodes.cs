namespace OrleansFlow.Client;

public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The run failed after it started (an I/O error, a bug): the message says what.</summary>
    public const int Failure = 1;

    /// <summary>Bad input: a one-line error naming the option; nothing was written.</summary>
    public const int BadInput = 2;

    /// <summary>Interrupted (Ctrl+C); finished shards are kept for <c>--resume</c>.</summary>
    public const int Interrupted = 130;
}
