using OrleansFlow.Ids;
using OrleansFlow.Tensors;

namespace OrleansFlow.Models;

/// <summary>
/// Turns what the sampler produces (e.g. VAE latents) into the samples a user looks at (images in
/// [-1, 1]). Reflow data keeps the undecoded latents; FID and generation decode.
/// </summary>
public interface ISampleDecoder
{
    /// <summary>The shape of one decoded sample.</summary>
    Resolution OutputShape { get; }

    ITensor Decode(ITensor samples);
}
