namespace OrleansFlow.Torch;

/// <summary>How a TorchScript feature extractor takes its images (see <see cref="TorchFeatureExtractor"/>).</summary>
public enum FeatureInput
{
    /// <summary>3×299×299 in [-1,1], bilinear-resized from the samples (pytorch-fid's Inception).</summary>
    Inception299,

    /// <summary>The samples' own channels and resolution in [-1,1], no resize.</summary>
    Native,
}
