using OrleansFlow.Client.Evaluation;
using OrleansFlow.Ids;
using OrleansFlow.Jobs;

namespace OrleansFlow.Torch.Tests;

/// <summary>The committed digits packages and FID-digits files (made by tools/train_digits.py, tools/train_digits_refiner.py and tools/train_digits_reflow.py).</summary>
internal static class DigitsModels
{
    public static string Directory => Path.Combine(Path.GetDirectoryName(TinyModel.PackageDirectory)!);

    public static string Package(string name) => Path.Combine(Directory, name);

    /// <summary>The classifier's logits, loaded as a native-input feature extractor (same preprocessing as FID-digits).</summary>
    public static string Classifier => Path.Combine(Directory, "digits-fid", "classifier.pt");

    public static string Features => Path.Combine(Directory, "digits-fid", "features.pt");

    public static string Reference => Path.Combine(Directory, "digits-fid", "reference.npz");

    /// <summary>pool, spatial and logits of the FID-digits classifier in one module (tools/export_eval_networks.py digits).</summary>
    public static string Evaluation => Path.Combine(Directory, "digits-fid", "eval.pt");

    /// <summary>The 1,797 digits as an ADM reference batch: arr_0, mu, sigma, mu_s, sigma_s.</summary>
    public static string ReferenceBatch => Path.Combine(Directory, "digits-fid", "reference-batch.npz");

    /// <summary>An fid job of a committed package (by its directory name), as the trajectory-error tests measure it.</summary>
    public static JobSpec FidSpec(string package, string sampler, int samples, long seed) => new()
    {
        Kind = JobKind.Fid, Model = Package(package), Sampler = Sampling.SamplerSpec.Parse(sampler), Samples = samples, Seed = seed, BatchSize = 100,
    };

    /// <summary>Each row's FID as mean ± spread and per seed: the message of a failed ordering assertion.</summary>
    public static string DescribeFid(FidTableReport report) =>
        string.Join(", ", report.Rows.Select(r => $"{r.Row.Name} {r.Fid.Mean:F3} ± {r.Fid.Spread:F3} ({string.Join(" ", r.Fid.PerSeed.Select(f => f.ToString("F3")))})"));
}
