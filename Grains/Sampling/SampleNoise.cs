namespace OrleansFlow.Sampling;

/// <summary>
/// The noise x0 and the random class label of sample <c>i</c> of a job, a pure function of
/// (job seed, i) — DESIGN.md "Noise". Batch size, shard size, thread count and completion order
/// therefore cannot change a result.
/// </summary>
/// <remarks>
/// Philox key = the 64-bit job seed. Counter = (block, index low, index high, stream): stream 0 gives
/// the noise, two standard normals per block by Box–Muller from two 53-bit uniforms (computed in double,
/// rounded once to float); stream 1, block 0 gives the class label.
/// </remarks>
public sealed class SampleNoise
{
    private const uint NoiseStream = 0;
    private const uint LabelStream = 1;
    private const double TwoToMinus53 = 1.0 / (1UL << 53);

    private readonly uint _keyLow;
    private readonly uint _keyHigh;

    public SampleNoise(long seed)
    {
        _keyLow = (uint)seed;
        _keyHigh = (uint)((ulong)seed >> 32);
    }

    /// <summary>Writes the standard-normal noise of sample <paramref name="index"/> into <paramref name="destination"/>.</summary>
    public void Fill(long index, Span<float> destination)
    {
        var (indexLow, indexHigh) = Split(index);
        for (var block = 0; 2 * block < destination.Length; block++)
        {
            var (x0, x1, x2, x3) = Philox4x32.Generate((uint)block, indexLow, indexHigh, NoiseStream, _keyLow, _keyHigh);
            // (0, 1]: never 0, so the logarithm is finite.
            var u1 = (ToUnit53(x0, x1) + 1) * TwoToMinus53;
            var u2 = ToUnit53(x2, x3) * TwoToMinus53;
            var radius = Math.Sqrt(-2.0 * Math.Log(u1));
            var (sin, cos) = Math.SinCos(2.0 * Math.PI * u2);
            destination[2 * block] = (float)(radius * cos);
            if (2 * block + 1 < destination.Length)
            {
                destination[2 * block + 1] = (float)(radius * sin);
            }
        }
    }

    /// <summary>A label uniform on [0, classes) for sample <paramref name="index"/>, without modulo bias.</summary>
    public int Label(long index, int classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        var (indexLow, indexHigh) = Split(index);
        var (x0, x1, _, _) = Philox4x32.Generate(0, indexLow, indexHigh, LabelStream, _keyLow, _keyHigh);
        var bits = ((ulong)x1 << 32) | x0;
        // Lemire's multiply-high: floor(bits·classes / 2^64); bias below 2^-32 for any class count used here.
        return (int)Math.BigMul(bits, (ulong)classes, out _);
    }

    private static (uint Low, uint High) Split(long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return ((uint)index, (uint)((ulong)index >> 32));
    }

    private static ulong ToUnit53(uint high, uint low) => (((ulong)high << 32) | low) >> 11;
}
