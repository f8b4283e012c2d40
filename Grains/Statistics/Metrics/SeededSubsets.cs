namespace OrleansFlow.Statistics.Metrics;

/// <summary>
/// The random subsets KID averages over, drawn reproducibly from the job seed. torch-fidelity's
/// <c>metric_kid.py</c> draws them with <c>np.random.RandomState(seed).choice(n, size, replace=False)</c>;
/// here a SplitMix64 stream (Steele, Lea and Flood 2014) seeded with the job seed drives a partial
/// Fisher–Yates shuffle, a procedure simple enough to restate exactly in tools/eval_reference.py.
/// For each subset the generated samples' indices are drawn first, then the reference's, from the one stream.
/// </summary>
public sealed class SeededSubsets(long seed)
{
    private ulong _state = unchecked((ulong)seed);

    /// <summary><paramref name="size"/> distinct indices of [0, <paramref name="population"/>), in draw order.</summary>
    public int[] Next(int population, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(population);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, population);
        var order = new int[population];
        for (var i = 0; i < population; i++)
        {
            order[i] = i;
        }

        for (var i = 0; i < size; i++)
        {
            var j = i + (int)Below((ulong)(population - i));
            (order[i], order[j]) = (order[j], order[i]);
        }

        return order[..size];
    }

    /// <summary>A uniform integer below <paramref name="bound"/>: x mod bound, rejecting the x that would bias it.</summary>
    private ulong Below(ulong bound)
    {
        var threshold = (0UL - bound) % bound;
        while (true)
        {
            var x = NextUInt64();
            if (x >= threshold)
            {
                return x % bound;
            }
        }
    }

    private ulong NextUInt64()
    {
        _state = unchecked(_state + 0x9E3779B97F4A7C15UL);
        var z = _state;
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }
}
