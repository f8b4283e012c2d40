namespace OrleansFlow.Ids;

/// <summary>The shape of one sample, channels × height × width.</summary>
public readonly record struct Resolution
{
    public Resolution(int channels, int height, int width)
    {
        if (channels < 1 || height < 1 || width < 1)
        {
            throw new SpecException("shape", $"[{channels},{height},{width}] is not a sample shape: all three must be >= 1");
        }

        Channels = channels;
        Height = height;
        Width = width;
    }

    public int Channels { get; }

    public int Height { get; }

    public int Width { get; }

    /// <summary>Number of floats in one sample.</summary>
    public int Elements => Channels * Height * Width;

    public override string ToString() => $"{Channels}x{Height}x{Width}";
}
