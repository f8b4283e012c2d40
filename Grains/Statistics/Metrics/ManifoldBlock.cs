namespace OrleansFlow.Statistics.Metrics;

/// <summary>
/// A range of rows of precision/recall's N × M distance passes: the unit of work that can run
/// anywhere (another thread, another silo) and whose result (radii of its rows, or a count of its
/// rows inside a manifold) merges by concatenation or addition.
/// </summary>
public readonly record struct ManifoldBlock(int Start, int Count)
{
    /// <summary>Rows 0..<paramref name="rows"/> in blocks of <paramref name="blockSize"/>, in order.</summary>
    public static IReadOnlyList<ManifoldBlock> Plan(int rows, int blockSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockSize);
        var blocks = new List<ManifoldBlock>((rows + blockSize - 1) / blockSize);
        for (var start = 0; start < rows; start += blockSize)
        {
            blocks.Add(new ManifoldBlock(start, Math.Min(blockSize, rows - start)));
        }

        return blocks;
    }
}
