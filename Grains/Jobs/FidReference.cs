using OrleansFlow.Models;
using OrleansFlow.Sampling;
using OrleansFlow.Statistics;

namespace OrleansFlow.Jobs;

/// <summary>
/// What an fid job compares against, and how to name it in its summary: pooled-feature statistics
/// (FID), and when the reference allows, spatial statistics (sFID) and the reference images' features
/// (KID, precision/recall).
/// </summary>
public sealed record FidReference(GaussianStatistics Statistics, string Description)
{
    /// <summary><c>mu_s</c>, <c>sigma_s</c> of the file, else of the reference images' spatial features.</summary>
    public GaussianStatistics? Spatial { get; init; }

    /// <summary>Where <see cref="Spatial"/> came from.</summary>
    public string? SpatialDescription { get; init; }

    /// <summary>The features of the reference images, when the reference has images.</summary>
    public ReferenceFeatures? Features { get; init; }

    /// <summary>
    /// <c>--reference</c> when given (see <see cref="ReferenceBatch"/>); otherwise the exact moments of an
    /// analytic model under the job's label policy. Throws <see cref="SpecException"/> naming <c>reference</c>.
    /// </summary>
    public static FidReference Resolve(string? path, IFlowModel model, LabelPolicy labels, IFeatureExtractor features, Ids.Resolution sampleShape)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (path is not null)
        {
            return FromFile(path, features, sampleShape);
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

        throw new SpecException("reference", $"{model.Info.Name} has no exact moments: pass --reference <stats.npz> (mu, sigma) or a reference batch (arr_0 images)");
    }

    private static FidReference FromFile(string path, IFeatureExtractor extractor, Ids.Resolution sampleShape)
    {
        ReferenceBatch batch;
        ReferenceFeatures? features;
        try
        {
            batch = ReferenceBatch.Read(path);
            // The images are streamed here (or their features read from the cache): damage surfaces now.
            features = batch.HasImages ? ReferenceFeatures.Of(batch, extractor, sampleShape) : null;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException)
        {
            throw new SpecException("reference", $"cannot read '{path}': {FirstLine(e.Message)}");
        }

        var full = Path.GetFullPath(path);
        var layout = extractor.Layout;
        var pool = batch.Pool ?? Moments(features!.Pool).ToGaussian();
        if (pool.Dimension != layout.Pool)
        {
            // No path: on a silo this file is the registry cache's copy, which a client must not see.
            throw new SpecException("reference", $"the reference has {pool.Dimension}-dimensional statistics but the features are {layout.Pool}-dimensional: use a reference made with the same features (--features)");
        }

        GaussianStatistics? spatial = null;
        string? spatialDescription = null;
        if (layout.Spatial > 0 && (batch.Spatial is not null || features?.Spatial is not null))
        {
            spatial = batch.Spatial ?? Moments(features!.Spatial!).ToGaussian();
            spatialDescription = batch.Spatial is not null ? $"{full} (mu_s, sigma_s)" : $"{full} (spatial features of its {batch.Count} images)";
            if (spatial.Dimension != layout.Spatial)
            {
                throw new SpecException("reference", $"the reference has {spatial.Dimension}-dimensional mu_s/sigma_s but the spatial features are {layout.Spatial}-dimensional: use a reference made with the same features (--features)");
            }
        }

        var description = batch.Pool is not null ? full : $"{full} (features of its {batch.Count} images)";
        return new FidReference(pool, description) { Spatial = spatial, SpatialDescription = spatialDescription, Features = features };
    }

    private static FeatureMoments Moments(Statistics.Metrics.FeatureMatrix features)
    {
        var moments = new FeatureMoments(features.Dimension);
        moments.AddBatch(features.Values, features.Count);
        return moments;
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
