using OrleansFlow.Jobs;
using OrleansFlow.Models.Registry;
using OrleansFlow.Storage;

namespace OrleansFlow.Torch.Tests;

/// <summary>A TorchScript package pushed to a registry and loaded by name on libtorch samples as the package does from its directory.</summary>
public sealed class RegistryTorchTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("orleansflow-registry-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task LoadModel_TinyPackageByName_SamplesBitIdenticalToTheDirectoryAndPaysOneDownload()
    {
        var registry = new ModelRegistry(new LocalDirectoryBlobStore(Path.Combine(_root, "store")));
        await registry.PushAsync(RegistryKind.Model, TinyModel.PackageDirectory, RegistryName.Parse("tiny-sit@1", "name"), default);
        var resolver = new RegistryResolver(new ModelCache(registry, new ModelCacheOptions { Root = Path.Combine(_root, "cache") }));
        var spec = new JobSpec { Kind = JobKind.Generate, Model = "tiny-sit@1", Sampler = Sampling.SamplerSpec.Parse("flowturbo:h=1,p=1,r=1"), Samples = 4, Seed = 3 };

        var byName = resolver.LoadModel("tiny-sit@1");
        var again = resolver.LoadModel("tiny-sit@1");
        var named = ResolvedJob.Create(spec, byName).Generator.Generate(0, 4);
        var direct = ResolvedJob.Create(spec, TinyModel.Model).Generator.Generate(0, 4);

        Assert.Equal(1, resolver.Cache.Downloads);
        Assert.NotNull(byName.Refiner);
        Assert.NotNull(again.Decoder);
        Assert.Equal(direct.Samples.ToArray(), named.Samples.ToArray());
        (byName as IDisposable)?.Dispose();
        (again as IDisposable)?.Dispose();
    }

    [Fact]
    public async Task Push_PackageNamingAFileOutsideItself_CopiesItInAndLoadsByName()
    {
        var package = TinyModel.CopyPackage(json => json.Replace("\"decoder.pt\"", "\"../decoder.pt\"", StringComparison.Ordinal));
        var outside = Path.Combine(Path.GetDirectoryName(package)!, "decoder.pt");
        File.Move(Path.Combine(package, "decoder.pt"), outside, overwrite: true);
        var registry = new ModelRegistry(new LocalDirectoryBlobStore(Path.Combine(_root, "store")));
        try
        {
            var manifest = await registry.PushAsync(RegistryKind.Model, package, RegistryName.Parse("gathered", "name"), default);
            var resolver = new RegistryResolver(new ModelCache(registry, new ModelCacheOptions { Root = Path.Combine(_root, "cache") }));
            var model = resolver.LoadModel("gathered");

            Assert.Contains(manifest.Files, f => f.Path == "decoder.pt" && f.Size == new FileInfo(outside).Length);
            Assert.NotNull(model.Decoder);
            (model as IDisposable)?.Dispose();
            Assert.False(File.Exists(Path.Combine(package, "decoder.pt")), "the source package is left as it was");
            Assert.Contains("\"../decoder.pt\"", File.ReadAllText(Path.Combine(package, "model.json")), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(package, recursive: true);
            File.Delete(outside);
        }
    }

    [Fact]
    public async Task Push_OutsideFileWhoseNameThePackageUsesForOtherBytes_RefusedNamingTheKey()
    {
        var package = TinyModel.CopyPackage(json => json.Replace("\"decoder.pt\"", "\"../decoder.pt\"", StringComparison.Ordinal));
        var outside = Path.Combine(Path.GetDirectoryName(package)!, "decoder.pt");
        File.Copy(Path.Combine(TinyModel.PackageDirectory, "refiner.pt"), outside, overwrite: true);
        var registry = new ModelRegistry(new LocalDirectoryBlobStore(Path.Combine(_root, "store")));
        try
        {
            var error = await Assert.ThrowsAsync<SpecException>(() => registry.PushAsync(RegistryKind.Model, package, RegistryName.Parse("clash", "name"), default));

            Assert.Contains("files.decoder is outside the package, and the package already has another 'decoder.pt'", error.Message, StringComparison.Ordinal);
            Assert.Empty(await registry.ListAsync(null, default).ToListAsync());
        }
        finally
        {
            Directory.Delete(package, recursive: true);
            File.Delete(outside);
        }
    }
}
