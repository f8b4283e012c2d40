using OrleansFlow.Models;
using OrleansFlow.Sampling;
using OrleansFlow.Statistics;

namespace OrleansFlow.Jobs;

/// <summary>The statistics an FID job compares against, and how to name them in its summary.</summary>
public sealed record FidReference(GaussianStatistics Statistics, string Description)
{
    /// <summary>
    /// <c>--reference file.npz</c> when given; otherwise the exact moments of an analytic model under
    /// the job's label policy. Throws <see cref="SpecException"/> naming <c>reference</c>.
    /// </summary>
    public static FidReference Resolve(string? path, IFlowModel model, LabelPolicy labels, int featureDimension)
    {
        if (path is not null)
        {
            GaussianStatistics statistics;
            try
            {
                statistics = GaussianStatistics.ReadNpz(path);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException)
            {
                throw new SpecException("reference", $"cannot read '{path}': {FirstLine(e.Message)}");
            }

            if (statistics.Dimension != featureDimension)
            {
                throw new SpecException("reference", $"'{path}' has {statistics.Dimension}-dimensional statistics but the features have {featureDimension}");
            }

            return new FidReference(statistics, Path.GetFullPath(path));
        }

        if (model is GaussianMixtureFlow mixture)
        {
            var (mean, covariance) = mixture.Moments(mixture.TargetWeights(labels));
            var which = labels.Mode switch
            {
                LabelMode.Fixed => $"class {labels.FixedLabel}",
                LabelMode.Random => "classes uniform",
                _ => "unconditional",
            };
            return new FidReference(new GaussianStatistics(mean, covariance), $"exact moments of {model.Info.Name} ({which})");
        }

        throw new SpecException("reference", $"{model.Info.Name} has no exact moments: pass --reference <stats.npz> (mu, sigma)");
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
