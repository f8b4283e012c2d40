using OrleansFlow.Formats;

namespace OrleansFlow.Statistics;

/// <summary>
/// Mean and covariance of a feature distribution, the pair FID compares; stored in <c>.npz</c> as
/// <c>mu</c> [D] and <c>sigma</c> [D, D] like pytorch-fid (<c>np.savez(path, mu=mu, sigma=sigma)</c>)
/// and the ADM reference batches.
/// </summary>
public sealed class GaussianStatistics
{
    public GaussianStatistics(double[] mu, double[] sigma)
    {
        ArgumentNullException.ThrowIfNull(mu);
        ArgumentNullException.ThrowIfNull(sigma);
        if (mu.Length == 0 || sigma.Length != (long)mu.Length * mu.Length)
        {
            throw new ArgumentException(
                $"Sigma must be {mu.Length}×{mu.Length} to match mu of length {mu.Length}; it has {sigma.Length} elements.", nameof(sigma));
        }

        Mu = mu;
        Sigma = sigma;
    }

    public double[] Mu { get; }

    /// <summary>Covariance, D×D row-major.</summary>
    public double[] Sigma { get; }

    public int Dimension => Mu.Length;

    /// <summary>
    /// Reads <c>mu</c> and <c>sigma</c> from an .npz, ignoring any other arrays (ADM reference
    /// batches also hold <c>arr_0</c>, <c>mu_s</c>, <c>sigma_s</c>, which are not loaded).
    /// </summary>
    /// <exception cref="InvalidDataException">A key is missing or the shapes do not fit; the message names the file.</exception>
    public static GaussianStatistics ReadNpz(string path)
    {
        IReadOnlyDictionary<string, NpyArray> arrays = NpzReader.Read(path, ["mu", "sigma"]);
        NpyArray mu = Require(arrays, "mu", path);
        NpyArray sigma = Require(arrays, "sigma", path);
        if (mu.Shape is not [var dimension] || dimension < 1)
        {
            throw new InvalidDataException($"'{path}': 'mu' must have shape (D,), not {NpyDtype.FormatShape(mu.Shape)}.");
        }

        if (sigma.Shape is not [var rows, var columns] || rows != dimension || columns != dimension)
        {
            throw new InvalidDataException(
                $"'{path}': 'sigma' must have shape ({dimension}, {dimension}) to match 'mu', not {NpyDtype.FormatShape(sigma.Shape)}.");
        }

        return new GaussianStatistics(mu.ToDoubleArray(), sigma.ToDoubleArray());
    }

    /// <summary>Writes <c>mu</c> and <c>sigma</c> as float64, readable by pytorch-fid and the ADM evaluator.</summary>
    public void WriteNpz(string path)
    {
        using var writer = new NpzWriter(path);
        writer.Write("mu", Mu, Dimension);
        writer.Write("sigma", Sigma, Dimension, Dimension);
    }

    private static NpyArray Require(IReadOnlyDictionary<string, NpyArray> arrays, string key, string path) =>
        arrays.TryGetValue(key, out NpyArray? array)
            ? array
            : throw new InvalidDataException($"'{path}' has no array '{key}'; FID statistics need 'mu' and 'sigma'.");
}
