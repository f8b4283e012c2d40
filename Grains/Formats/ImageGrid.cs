namespace OrleansFlow.Formats;

/// <summary>
/// Tiles equally sized HWC images into one preview image, row by row, like torchvision's
/// <c>make_grid</c>: <c>padding</c> pixels of neutral grey around and between the tiles, empty
/// trailing cells left grey.
/// </summary>
public static class ImageGrid
{
    /// <summary>The background: mid-grey, so that neither black nor white samples blend into it.</summary>
    public const byte PaddingValue = 128;

    /// <summary>
    /// Composes the grid. <paramref name="columns"/> defaults to ⌈√n⌉ (a near-square grid);
    /// <paramref name="scale"/> enlarges every image by pixel replication, because 8×8 or 32×32
    /// samples are too small to look at 1:1.
    /// </summary>
    public static (byte[] Hwc, int Width, int Height) Compose(
        IReadOnlyList<byte[]> hwcImages,
        int width,
        int height,
        int channels,
        int? columns = null,
        int padding = 2,
        int scale = 1)
    {
        ArgumentNullException.ThrowIfNull(hwcImages);
        if (hwcImages.Count == 0)
        {
            throw new ArgumentException("A grid needs at least one image.", nameof(hwcImages));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scale);
        int columnCount = columns ?? (int)Math.Ceiling(Math.Sqrt(hwcImages.Count));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columnCount, nameof(columns));
        columnCount = Math.Min(columnCount, hwcImages.Count);
        int rowCount = ((hwcImages.Count - 1) / columnCount) + 1;

        int tileWidth = checked(width * scale);
        int tileHeight = checked(height * scale);
        int gridWidth = checked((columnCount * (tileWidth + padding)) + padding);
        int gridHeight = checked((rowCount * (tileHeight + padding)) + padding);
        int gridStride = checked(gridWidth * channels);
        var grid = new byte[checked(gridStride * gridHeight)];
        Array.Fill(grid, PaddingValue);

        int imageLength = checked(width * height * channels);
        for (int index = 0; index < hwcImages.Count; index++)
        {
            byte[] image = hwcImages[index];
            if (image.Length != imageLength)
            {
                throw new ArgumentException(
                    $"Image {index} holds {image.Length} bytes, but {height}×{width}×{channels} needs {imageLength}.",
                    nameof(hwcImages));
            }

            int left = padding + ((index % columnCount) * (tileWidth + padding));
            int top = padding + ((index / columnCount) * (tileHeight + padding));
            for (int y = 0; y < tileHeight; y++)
            {
                int sourceRow = (y / scale) * width;
                Span<byte> target = grid.AsSpan(((top + y) * gridStride) + (left * channels), tileWidth * channels);
                for (int x = 0; x < tileWidth; x++)
                {
                    image.AsSpan((sourceRow + (x / scale)) * channels, channels).CopyTo(target.Slice(x * channels, channels));
                }
            }
        }

        return (grid, gridWidth, gridHeight);
    }
}
