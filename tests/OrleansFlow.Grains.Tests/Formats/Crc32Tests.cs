using System.Text;
using OrleansFlow.Formats;

namespace OrleansFlow.Grains.Tests.Formats;

public sealed class Crc32Tests
{
    [Fact]
    public void Compute_StandardCheckString_GivesCheckValue()
    {
        // The check value of CRC-32/ISO-HDLC in every CRC catalogue.
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
    }

    [Fact]
    public void Compute_Empty_IsZero()
    {
        Assert.Equal(0u, Crc32.Compute([]));
    }

    [Fact]
    public void Append_SplitInput_EqualsCrcOfWhole()
    {
        byte[] whole = Encoding.ASCII.GetBytes("IHDR and then some chunk data");

        uint split = Crc32.Append(Crc32.Compute(whole.AsSpan(0, 4)), whole.AsSpan(4));

        Assert.Equal(Crc32.Compute(whole), split);
    }
}
