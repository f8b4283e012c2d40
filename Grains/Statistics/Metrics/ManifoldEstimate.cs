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
        for (var r = 0; r < block.Count; r++)
        {
            var row = block.Start + r;
            smallest.AsSpan().Fill(double.PositiveInfinity);
            for (var j = 0; j < points.Count; j++)
            {
                var distance = points.SquaredDistance(row, points, j);
                if (distance < smallest[neighbours])
                {
                    InsertSorted(smallest, distance);
                }
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
