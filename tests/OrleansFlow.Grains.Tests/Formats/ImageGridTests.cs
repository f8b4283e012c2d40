using OrleansFlow.Formats;

namespace OrleansFlow.Grains.Tests.Formats;

public sealed class ImageGridTests
{
    private const byte Grey = ImageGrid.PaddingValue;

    [Fact]
    public void Compose_FourImages_TilesTwoByTwoWithPadding()
    {
        byte[][] images = [Filled(4, 10), Filled(4, 20), Filled(4, 30), Filled(4, 40)];

        (byte[] grid, int width, int height) = ImageGrid.Compose(images, width: 2, height: 2, channels: 1, padding: 1);

        // Columns: 1 pad, 2 tile, 1 pad, 2 tile, 1 pad.
        Assert.Equal((7, 7), (width, height));
        byte[] expected =
        [
            Grey, Grey, Grey, Grey, Grey, Grey, Grey,
            Grey, 10, 10, Grey, 20, 20, Grey,
            Grey, 10, 10, Grey, 20, 20, Grey,
            Grey, Grey, Grey, Grey, Grey, Grey, Grey,
            Grey, 30, 30, Grey, 40, 40, Grey,
            Grey, 30, 30, Grey, 40, 40, Grey,
            Grey, Grey, Grey, Grey, Grey, Grey, Grey,
        ];
        Assert.Equal(expected, grid);
    }

    [Fact]
    public void Compose_ThreeImagesInTwoColumns_LeavesLastCellGrey()
    {
        byte[][] images = [Filled(1, 1), Filled(1, 2), Filled(1, 3)];

        (byte[] grid, int width, int height) = ImageGrid.Compose(images, 1, 1, 1, columns: 2, padding: 0);

        Assert.Equal((2, 2), (width, height));
        Assert.Equal([1, 2, 3, Grey], grid);
    }

    [Fact]
    public void Compose_RgbImageScaledByThree_ReplicatesEachPixel()
    {
        byte[] red = [255, 0, 0];
        byte[] blue = [0, 0, 255];
        byte[] image = [.. red, .. blue]; // 2 wide, 1 high

        (byte[] grid, int width, int height) = ImageGrid.Compose([image], 2, 1, 3, padding: 0, scale: 3);

        Assert.Equal((6, 3), (width, height));
        for (int y = 0; y < 3; y++)
        {
            for (int x = 0; x < 6; x++)
            {
                Assert.Equal(x < 3 ? red : blue, grid.AsSpan(((y * 6) + x) * 3, 3).ToArray());
            }
        }
    }

    [Fact]
    public void Compose_TenImages_DefaultsToFourColumns()
    {
        byte[][] images = Enumerable.Range(0, 10).Select(i => Filled(1, (byte)i)).ToArray();

        (_, int width, int height) = ImageGrid.Compose(images, 1, 1, 1, padding: 0);

        Assert.Equal((4, 3), (width, height));
    }

    [Fact]
    public void Compose_ImageOfWrongSize_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => ImageGrid.Compose([Filled(4, 0), Filled(3, 0)], 2, 2, 1));

        Assert.Contains("Image 1", error.Message, StringComparison.Ordinal);
    }

    private static byte[] Filled(int length, byte value) => Enumerable.Repeat(value, length).ToArray();
}
