namespace OrleansFlow.Torch;

/// <summary>libtorch reported an error (a bad model file, a shape mismatch, an unavailable device).</summary>
public sealed class TorchException : Exception
{
    public TorchException(string message)
        : base(message)
    {
    }

    public TorchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
