using OrleansFlow.Client.Evaluation;
using OrleansFlow.Cluster;
using OrleansFlow.Formats;
using OrleansFlow.Ids;
using OrleansFlow.Jobs;
using OrleansFlow.Sampling;

namespace OrleansFlow.Torch.Tests;

/// <summary>
/// The committed Fashion-MNIST package (<c>models/fashion-rf</c>) on libtorch against the same networks
/// in float64: <c>tools/export_fashion_models.py</c> writes <c>Golden/fashion_golden.npz</c> with the
/// samplers of DESIGN.md run on the eager networks cast to double, from the float32 noises stored beside them.
/// The package's FlowTurbo refiner beats the pseudo-corrector steps it replaces, and the Fashion FID sees
/// solver error, on fixed seeds through the same code as the README's table.
/// </summary>
public class FashionModelTests
{
    /// <summary>The FlowTurbo schedule the Fashion table ships (its refiner is trained on this 8-step grid).</summary>
    public const string ShippedFlowTurbo = "flowturbo:h=1,p=4,r=3";

    private const double Tolerance = 2e-4;
    private static readonly Resolution Shape = new(1, 28, 28);
    private static readonly Lazy<IReadOnlyDictionary<string, NpyArray>> Golden =
        new(() => NpzReader.Read(Path.Combine(AppContext.BaseDirectory, "Golden", "fashion_golden.npz")));

    private static readonly Lazy<TorchFlowModel> Model = new(() => TorchFlowModel.Load(DigitsModels.Package("fashion-rf")));

    /// <summary>The golden arrays by key (GOLDEN_SAMPLERS in the export) and the sampler each is.</summary>
    private static readonly (string Key, string Sampler, double Guidance)[] Samplers =
    [
        ("heun8", "heun:steps=8", 1.0),
        ("euler8", "euler:steps=8", 1.0),
        ("heun4_cfg2", "heun:steps=4", 2.0),
        ("flowturbo_h1p3r3", "flowturbo:h=1,p=3,r=3", 1.0),
        ("flowturbo_h1p6r0", "flowturbo:h=1,p=6,r=0", 1.0),
    ];

    /// <summary>
    /// Every sampler the golden file holds; the export leaves out the refiner's rows when the package
    /// has no refiner yet (a package exported from a flow checkpoint), and the test checks that pairing.
    /// </summary>
    public static TheoryData<string, string, double> GoldenSamplers()
    {
        var data = new TheoryData<string, string, double>();
        foreach (var (key, sampler, guidance) in Samplers.Where(s => Golden.Value.ContainsKey(s.Key)))
        {
            data.Add(sampler, key, guidance);
        }

        return data;
    }

    [FashionPackageFact]
    public void FashionGolden_RefinerRows_PresentExactlyWhenThePackageHasARefiner()
    {
        Assert.Equal(Model.Value.Refiner is not null, Golden.Value.ContainsKey("flowturbo_h1p3r3"));
        Assert.All(Samplers.Where(s => !s.Sampler.Contains("r=3", StringComparison.Ordinal)), s => Assert.True(Golden.Value.ContainsKey(s.Key), s.Key));
    }

    [FashionPackageTheory]
    [MemberData(nameof(GoldenSamplers))]
    public void FashionPackage_SameNoiseAndLabels_MatchesFloat64ReferenceWithin2e4(string sampler, string key, double guidance)
    {
        var actual = SampleGoldenInputs(Model.Value, Golden.Value, sampler, guidance);

        var expected = Golden.Value[key].ToDoubleArray();
        Assert.Equal(expected.Length, actual.Length);
        var (worst, at) = (0.0, 0);
        for (var i = 0; i < expected.Length; i++)
        {
            var difference = Math.Abs(expected[i] - actual[i]);
            if (difference > worst)
            {
                (worst, at) = (difference, i);
            }
        }

        Assert.True(worst <= Tolerance, $"{sampler}: max |C# float32 − float64 reference| {worst:E3} at {at} ({expected[at]} vs {actual[at]}) exceeds {Tolerance:E1}");
    }

    [FashionPackageFact]
    public void FlowTurbo_ShippedRefiner_TrajectoryErrorBelowPseudoCorrectorOnlyOfEqualPredictorNfe()
    {
        // H1P4R3 and H1P4R0 both make 6 predictor calls; the refiner's 6 calls cost about 0.4 more.
        const string pseudoCorrectorOnly = "flowturbo:h=1,p=4,r=0";
        var trajectory = new TrajectoryError(new CatalogModelLoader(), DigitsModels.Package("fashion-rf"), 100);
        var turbo = trajectory.Measure(Spec(ShippedFlowTurbo), CancellationToken.None).Rms;
        var pseudo = trajectory.Measure(Spec(pseudoCorrectorOnly), CancellationToken.None).Rms;

        Assert.True(turbo < pseudo, $"trajectory RMS vs heun:steps=64: {ShippedFlowTurbo} {turbo:F4}, {pseudoCorrectorOnly} {pseudo:F4}");
    }

    [FashionPackageFact]
    public async Task FidFashion_HeunFourAboveHeunSixteenBeyondTheSeedSpread()
    {
        var outDirectory = Path.Combine(Path.GetTempPath(), $"orleansflow-fashion-order-{Guid.NewGuid():N}");
        try
        {
            FidTableRow[] rows = [new("Heun 4", "fashion-rf", "heun:steps=4"), new("Heun 16", "fashion-rf", "heun:steps=16")];
            var options = new FidTableOptions(
                FidTableDataSet.Fashion, DigitsModels.Directory, Samples: 200, Seed: 40, BatchSize: 100, Workers: 2, Threads: 1, Guidance: 1, Repeats: 3, TrajectorySamples: 20, outDirectory, rows)
            {
                Metrics = "fid",
            };
            var report = await new FidTable(options, TextWriter.Null).RunAsync(null, CancellationToken.None);
            var (heun4, heun16) = (report.Rows[0], report.Rows[1]);
            Assert.True(heun16.Fid.ClearlyBelow(heun4.Fid), DigitsModels.DescribeFid(report));
        }
        finally
        {
            if (Directory.Exists(outDirectory))
            {
                Directory.Delete(outDirectory, recursive: true);
            }
        }
    }

    /// <summary>
    /// The sampler on a golden file's float32 noises (<c>x0</c>) and labels (<c>labels</c>) through the package on
    /// libtorch, downloaded as float32: what the golden file's float64 arrays are compared with.
    /// </summary>
    internal static float[] SampleGoldenInputs(TorchFlowModel model, IReadOnlyDictionary<string, NpyArray> golden, string sampler, double guidance)
    {
        var x0 = golden["x0"].ToSingleArray();
        int[] labels = [.. golden["labels"].ToInt64Array().Select(l => (int)l)];
        Assert.Equal(Shape, model.Info.Shape);

        using var noise = model.Backend.Upload(x0, labels.Length, Shape);
        using var x1 = SamplerFactory.Create(SamplerSpec.Parse(sampler)).Sample(noise, new GuidedVelocity(model, labels, guidance));
        var actual = new float[x0.Length];
        model.Backend.Download(x1, actual);
        return actual;
    }

    private static JobSpec Spec(string sampler) => DigitsModels.FidSpec("fashion-rf", sampler, samples: 100, seed: 21);
}

/// <summary>A fact on the exported Fashion-MNIST package; skipped, saying why, until <c>tools/train_fashion_all.sh</c> has exported it.</summary>
public sealed class FashionPackageFactAttribute : FactAttribute
{
    public FashionPackageFactAttribute()
    {
        Skip = FashionPackage.SkipReason;
    }
}

/// <summary>The theory counterpart of <see cref="FashionPackageFactAttribute"/>.</summary>
public sealed class FashionPackageTheoryAttribute : TheoryAttribute
{
    public FashionPackageTheoryAttribute()
    {
        Skip = FashionPackage.SkipReason;
    }
}

internal static class FashionPackage
{
    /// <summary>null when models/fashion-rf and its golden file exist.</summary>
    public static string? SkipReason =>
        File.Exists(Path.Combine(DigitsModels.Package("fashion-rf"), "model.json")) && File.Exists(Path.Combine(AppContext.BaseDirectory, "Golden", "fashion_golden.npz"))
            ? null
            : "models/fashion-rf is not exported yet (tools/train_fashion_all.sh trains and exports it, with Golden/fashion_golden.npz)";
}
