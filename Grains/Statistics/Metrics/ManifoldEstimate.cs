namespace OrleansFlow.Statistics.Metrics;

/// <summary>
/// The k-nearest-neighbour manifold of Kynkäänniemi et al. (2019), "Improved Precision and Recall
/// Metric for Assessing Generative Models", as the ADM evaluator's <c>ManifoldEstimator</c> builds it
/// (k = 3): each point is the centre of a ball whose squared radius is its squared distance to its
/// k-th nearest neighbour in the same set — the value at index k of its sorted distances to all
/// points including itself (<c>np.partition(d, k)[:, k]</c>). A point lies on the manifold when it is
/// within some ball: d(x, c_j)² ≤ r_j².
/// </summary>
public static class ManifoldEstimate
{
    /// <summary>ADM's <c>nhood_sizes=(3,)</c>.</summary>
    public const int DefaultNeighbours = 3;

    /// <summary>Squared radii of the rows of <paramref name="block"/> in their own set.</summary>
    public static double[] Radii(ManifoldPoints points, ManifoldBlock block, int neighbours = DefaultNeighbours)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.Count <= neighbours)
        {
            throw new ArgumentException($"A {neighbours}-nearest-neighbour manifold needs more than {neighbours} points; there are {points.Count}.", nameof(points));
        }

        var radii = new double[block.Count];
        var smallest = new double[neighbours + 1];
        var (keys, order, rank, slack) = (points.Keys, points.Order, points.Rank, points.KeySlack);
        for (var r = 0; r < block.Count; r++)
        {
            var row = block.Start + r;
            smallest.AsSpan().Fill(double.PositiveInfinity);

            // Walk outwards from the row in key order; a point whose key differs by more than the
            // current k-th distance allows cannot be nearer (|u·a − u·b| ≤ ‖a − b‖), nor can any beyond
            // it. The same k+1 smallest values result as from scanning every point.
            for (var position = rank[row]; position < order.Count && !Beyond(keys[order[position]] - keys[row], slack, smallest[neighbours]); position++)
            {
                Consider(points, row, order[position], smallest);
            }

            for (var position = rank[row] - 1; position >= 0 && !Beyond(keys[row] - keys[order[position]], slack, smallest[neighbours]); position--)
            {
                Consider(points, row, order[position], smallest);
            }

            radii[r] = smallest[neighbours];
        }

        return radii;
    }

    /// <summary>How many rows of <paramref name="block"/> in <paramref name="queries"/> lie within some ball of the manifold.</summary>
    public static long CountInside(ManifoldPoints centres, IReadOnlyList<double> radii, ManifoldPoints queries, ManifoldBlock block)
    {
        ArgumentNullException.ThrowIfNull(centres);
        ArgumentNullException.ThrowIfNull(radii);
        ArgumentNullException.ThrowIfNull(queries);
        if (radii.Count != centres.Count)
        {
            throw new ArgumentException($"{centres.Count} manifold points need as many radii, not {radii.Count}.", nameof(radii));
        }

        // Widest balls first: the answer is the same in any order, but a hit usually comes sooner.
        var order = Enumerable.Range(0, centres.Count).OrderByDescending(j => radii[j]).ToArray();
        long inside = 0;
        for (var r = 0; r < block.Count; r++)
        {
            var row = block.Start + r;
            foreach (var j in order)
            {
                if (queries.SquaredDistance(row, centres, j) <= radii[j])
                {
                    inside++;
                    break;
                }
            }
        }

        return inside;
    }

    /// <summary>
    /// True when a gap between keys proves the squared distance exceeds <paramref name="kth"/>. The
    /// margins (the keys' rounding slack on the gap, 1e-9 relative on its square, covering the
    /// distance's rounding) skip a point only when it surely could not enter the k+1 smallest.
    /// </summary>
    private static bool Beyond(double keyGap, double slack, double kth)
    {
        var gap = keyGap - slack;
        return gap > 0 && gap * gap * (1 - 1e-9) > kth;
    }

    private static void Consider(ManifoldPoints points, int row, int other, double[] smallest)
    {
        var distance = points.SquaredDistance(row, points, other);
        if (distance < smallest[^1])
        {
            InsertSorted(smallest, distance);
        }
    }

    private static void InsertSorted(double[] smallest, double value)
    {
        var i = smallest.Length - 1;
        while (i > 0 && smallest[i - 1] > value)
        {
            smallest[i] = smallest[i - 1];
            i--;
        }

        smallest[i] = value;
    }
}
