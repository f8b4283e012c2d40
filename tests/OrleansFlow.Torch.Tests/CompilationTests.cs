using OrleansFlow.Jobs;
using OrleansFlow.Models;

namespace OrleansFlow.Torch.Tests;

/// <summary>
/// Sample-aware compilation: each warmed batch size runs in the compiled form timed fastest, forms that
/// change the outputs are never chosen by default, and a job's bytes do not depend on the choice.
/// </summary>
public class CompilationTests
{
    private static string CompileCheck => Path.Combine(Path.GetDirectoryName(TinyModel.PackageDirectory)!, "compile-check");

    [Fact]
    public void WarmUp_ConvNet_TimesEveryFormAndKeepsOneWithTheAsLoadedOutputs()
    {
        using var model = TorchFlowModel.Load(CompileCheck, compilation: CompilationPolicy.Fastest);

        model.WarmUp([64]);

        var choice = Assert.Single(model.Compilation);
        Assert.Equal(("predictor", 64), (choice.Role, choice.Batch));
        Assert.Equal(["as-loaded", "frozen", "frozen+optimized"], choice.Timings.Select(t => t.Variant));
        Assert.All(choice.Timings, t => Assert.True(t.Milliseconds > 0));
        var chosen = Assert.Single(choice.Timings, t => t.Variant == choice.Chosen);
        Assert.True(chosen.SameOutputs);
        Assert.Equal(chosen.Milliseconds, choice.Timings.Where(t => t.SameOutputs).Min(t => t.Milliseconds));
        // MKLDNN convolutions round differently: the optimised form must be recognised as changing numerics.
        Assert.False(choice.Timings.Single(t => t.Variant == "frozen+optimized").SameOutputs);
    }

    [Fact]
    public void Choose_OneFormMadeSlow_KeepsTheFastestMeasuredForm()
    {
        using var module = CompiledModule.Load(Path.Combine(CompileCheck, "predictor.pt"), "cpu", "predictor", CompilationPolicy.Fastest);
        var backend = new TorchTensorBackend("cpu");
        using var x = TorchTensorBackend.Torch(backend.Upload(new float[4 * 64], 4, new Ids.Resolution(1, 8, 8)));
        using var t = backend.Full(0.5f, 4);
        using var labels = backend.UploadLabels([0L, 1L, 2L, 10L]);

        // Every form is delayed but the frozen one, so it must win whatever the machine's load.
        var choice = module.Choose(4, form =>
        {
            if (form.Compilation != TorchCompilation.Frozen)
            {
                Thread.Sleep(40);
            }

            using var output = new TorchTensor(form.Forward(x.Handle, t, labels), 4, x.Shape);
            var host = new float[4 * 64];
            backend.Download(output, host);
            return host;
        });

        Assert.Equal("frozen", choice.Chosen);
        Assert.Same(module.For(4), module.For(4));
        Assert.Equal(TorchCompilation.Frozen, module.For(4).Compilation);
        Assert.Equal(TorchCompilation.AsLoaded, module.For(5).Compilation);
    }

    [Theory]
    [InlineData("as-loaded")]
    [InlineData("frozen")]
    public void Generate_AnyDefaultChoice_WritesTheSameSamplesAsTheModuleAsLoaded(string fixedForm)
    {
        using var fastest = TorchFlowModel.Load(DigitsModels.Package("digits-rf"), compilation: CompilationPolicy.Fastest);
        using var pinned = TorchFlowModel.Load(DigitsModels.Package("digits-rf"), compilation: CompilationPolicy.Parse(fixedForm, "compilation"));
        var spec = new JobSpec { Kind = JobKind.Generate, Model = "digits-rf", Sampler = Sampling.SamplerSpec.Parse("flowturbo:h=1,p=4,r=4"), Samples = 32, BatchSize = 32, Seed = 3 };
        fastest.WarmUp([32]);
        pinned.WarmUp([32]);

        var a = ResolvedJob.Create(spec, fastest).Generator.Generate(0, 32).Samples;
        var b = ResolvedJob.Create(spec, pinned).Generator.Generate(0, 32).Samples;

        Assert.Equal(a, b);
        Assert.Equal(fixedForm, pinned.Compilation.Select(c => c.Chosen).Distinct().Single());
    }

    [Fact]
    public void Adopt_AnotherSilosChoice_RunsItsFormWithoutTimingAndRefusesFormsThatChangeNumerics()
    {
        using var model = TorchFlowModel.Load(CompileCheck, compilation: CompilationPolicy.Fastest);
        // Timings no silo would measure here, so a re-timed choice cannot pass for the adopted one.
        var frozen = new CompilationChoice("predictor", 8, "frozen", [new("as-loaded", 1e6, true), new("frozen", 1, true), new("frozen+optimized", 1e6, false)]);
        var optimized = new CompilationChoice("predictor", 16, "frozen+optimized", [new("as-loaded", 1e6, true), new("frozen", 1e6, true), new("frozen+optimized", 1, false)]);

        ((IWarmable)model).Adopt([frozen, optimized]);
        model.WarmUp([8, 16]);

        Assert.Equal(frozen, model.Compilation.Single(c => c.Batch == 8));
        // MKLDNN rounds differently on this net: under the default policy that form is never taken from another silo either.
        var timedHere = model.Compilation.Single(c => c.Batch == 16);
        Assert.NotEqual(optimized, timedHere);
        Assert.NotEqual("frozen+optimized", timedHere.Chosen);
        Assert.All(timedHere.Timings, t => Assert.NotEqual(1, t.Milliseconds));
    }

    [Fact]
    public void CompilationScope_SameFilesElsewhere_SameScope_FixedPolicy_None()
    {
        var copy = Directory.CreateTempSubdirectory("compile-check-copy").FullName;
        try
        {
            foreach (var file in Directory.GetFiles(CompileCheck))
            {
                File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
            }

            using var original = TorchFlowModel.Load(CompileCheck, compilation: CompilationPolicy.Fastest);
            using var copied = TorchFlowModel.Load(copy, compilation: CompilationPolicy.Fastest);
            using var anyNumerics = TorchFlowModel.Load(CompileCheck, compilation: CompilationPolicy.Parse("fastest-any", "compilation"));
            using var pinned = TorchFlowModel.Load(CompileCheck, compilation: CompilationPolicy.Parse("frozen", "compilation"));

            Assert.StartsWith("compile-check:", original.CompilationScope);
            Assert.Equal(original.CompilationScope, copied.CompilationScope);
            Assert.NotEqual(original.CompilationScope, anyNumerics.CompilationScope);
            Assert.Null(pinned.CompilationScope);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public void Parse_UnknownPolicy_NamesTheFieldAndTheAllowedValues()
    {
        var error = Assert.Throws<SpecException>(() => CompilationPolicy.Parse("mkldnn", CompilationPolicy.Variable));

        Assert.Equal($"{CompilationPolicy.Variable}: 'mkldnn' is not a compilation policy: use fastest, fastest-any, as-loaded, frozen or frozen+optimized", error.Message);
    }
}
