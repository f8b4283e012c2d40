namespace OrleansFlow.Formats;

/// <summary>A decoded 8-bit PNG: <paramref name="Pixels"/> is HWC, row-major, Channels = 1, 3 or 4.</summary>
public sealed record PngImage(int Width, int Height, int Channels, byte[] Pixels);
