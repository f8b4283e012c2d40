using System.Security.Cryptography;
using System.Text.Json.Nodes;
using OrleansFlow.Jobs;
using OrleansFlow.Models.Registry;
using OrleansFlow.Storage;

namespace OrleansFlow.Torch.Tests;

/// <summary>
/// Registry entries a silo can trust (issue 19), with the TorchScript package loaded by libtorch: signed
/// manifests, names that must match, and a cache checked again after a restart.
/// </summary>
public sealed class RegistryTrustTests : IDisposable
{
    private const string Name = "tiny-sit@1";
    private readonly string _root = Directory.CreateTempSubdirectory("orleansflow-trust-").FullName;
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    private string StoreRoot => Path.Combine(_root, "store");

    private ModelRegistry Unverified => new(new LocalDirectoryBlobStore(StoreRoot));

    public void Dispose()
    {
        _key.Dispose();
        _otherKey.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task SignedEntry_TrustedKey_LoadsAndSamplesAsTheDirectory()
    {
        await Unverified.PushAsync(RegistryKind.Model, TinyModel.PackageDirectory, RegistryName.Parse(Name, "name"), default, _key);
        var resolver = Resolver(Trust(_key));

        using var model = (IDisposable)resolver.LoadModel(Name);

        Assert.Equal(Sample(TinyModel.Model), Sample((Models.IFlowModel)model));
        Assert.Equal(1, resolver.Cache.Downloads);
    }

    [Fact]
    public async Task UnsignedOrOtherKeysEntry_Refused_NothingDownloadedOrLoaded()
    {
        await Unverified.PushAsync(RegistryKind.Model, TinyModel.PackageDirectory, RegistryName.Parse("unsigned", "name"), default);
        await Unverified.PushAsync(RegistryKind.Model, TinyModel.PackageDirectory, RegistryName.Parse("other", "name"), default, _otherKey);
        var resolver = Resolver(Trust(_key));

        var unsigned = Assert.Throws<SpecException>(() => resolver.LoadModel("unsigned"));
        var other = Assert.Throws<SpecException>(() => resolver.LoadModel("other"));

        Assert.Equal("model", unsigned.Field);
        Assert.Equal($"model: model 'unsigned' is not signed by a key this silo trusts ({RegistrySigning.KeyId(_key)}): refused, nothing loaded (push it with --sign-key, or add a signature with 'orleansflow models sign')", unsigned.Message);
        Assert.Contains("is not signed by a key this silo trusts", other.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_root, "cache"), "*.pt", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task SignedEntryWhosePredictorWasSwapped_Refused_NothingLoaded()
    {
        var manifest = await Unverified.PushAsync(RegistryKind.Model, TinyModel.PackageDirectory, RegistryName.Parse(Name, "name"), default, _key);
        // Whoever can write to the store replaces the predictor and fixes its size and sha256 in the manifest.
        var predictor = manifest.Files.Single(f => f.Path == "predictor.pt");
        var swapped = await File.ReadAllBytesAsync(Path.Combine(TinyModel.PackageDirectory, "refiner.pt"));
        await File.WriteAllBytesAsync(Path.Combine(StoreRoot, ModelRegistry.FileName(manifest, predictor)), swapped);
        var forged = manifest with { Files = [.. manifest.Files.Select(f => f == predictor ? f with { Size = swapped.Length, Sha256 = Convert.ToHexStringLower(SHA256.HashData(swapped)) } : f)] };
        await File.WriteAllBytesAsync(Path.Combine(StoreRoot, ModelRegistry.ManifestName(RegistryKind.Model, RegistryName.Parse(Name, "name"))), forged.ToJson());

        var error = Assert.Throws<SpecException>(() => Resolver(Trust(_key)).LoadModel(Name));

        Assert.Equal($"model: model '{Name}' was changed after key {RegistrySigning.KeyId(_key)} signed it (its manifest no longer matches the signature): refused, nothing loaded", error.Message);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_root, "cache"), "*.pt", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task KeyRotation_EntrySignedAgainWithTheNewKey_AcceptedByASiloTrustingOnlyTheNewKey()
    {
        await Unverified.PushAsync(RegistryKind.Model, TinyModel.PackageDirectory, RegistryName.Parse(Name, "name"), default, _key);
        Assert.Throws<SpecException>(() => Resolver(Trust(_otherKey), "cache-before").LoadModel(Name));

        var keyId = await Unverified.SignAsync(RegistryKind.Model, RegistryName.Parse(Name, "name"), _otherKey, default);
        using var model = (IDisposable)Resolver(Trust(_otherKey), "cache-after").LoadModel(Name);

        Assert.Equal(RegistrySigning.KeyId(_otherKey), keyId);
        Assert.Equal(Sample(TinyModel.Model), Sample((Models.IFlowModel)model));
    }

    [Fact]
    public async Task ManifestCopiedUnderAnotherName_Refused()
    {
        var manifest = await Unverified.PushAsync(RegistryKind.Model, TinyModel.PackageDirectory, RegistryName.Parse(Name, "name"), default);
        var copy = Path.Combine(StoreRoot, ModelRegistry.ManifestName(RegistryKind.Model, RegistryName.Parse("impostor", "name")));
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        await File.WriteAllBytesAsync(copy, manifest.ToJson());
        var asFeatures = Path.Combine(StoreRoot, ModelRegistry.ManifestName(RegistryKind.Features, RegistryName.Parse(Name, "name")));
        Directory.CreateDirectory(Path.GetDirectoryName(asFeatures)!);
        await File.WriteAllBytesAsync(asFeatures, manifest.ToJson());
        var resolver = Resolver(trust: null);

        var renamed = Assert.Throws<SpecException>(() => resolver.LoadModel("impostor"));
        var rekinded = Assert.Throws<SpecException>(() => resolver.LocalFile(RegistryKind.Features, Name));

        Assert.Equal($"model: model 'impostor': its manifest describes model '{Name}': refused, nothing loaded", renamed.Message);
        Assert.Equal($"features: features '{Name}': its manifest describes model '{Name}': refused, nothing loaded", rekinded.Message);
    }

    [Fact]
    public async Task CachedFileReplacedWhileTheSiloWasDown_CheckedAtFirstUseAndDownloadedAgain()
    {
        await Unverified.PushAsync(RegistryKind.Model, TinyModel.PackageDirectory, RegistryName.Parse(Name, "name"), default, _key);
        var first = Resolver(Trust(_key));
        ((IDisposable)first.LoadModel(Name)).Dispose();
        var cachedPredictor = Directory.EnumerateFiles(Path.Combine(_root, "cache"), "predictor.pt", SearchOption.AllDirectories).Single();

        // An unchanged cache is reused after a restart, once its files are hashed again.
        var intact = Resolver(Trust(_key));
        ((IDisposable)intact.LoadModel(Name)).Dispose();
        Assert.Equal(0, intact.Cache.Downloads);

        // A cache file replaced while the silo was down is found at the next start's first use.
        File.Copy(Path.Combine(TinyModel.PackageDirectory, "refiner.pt"), cachedPredictor, overwrite: true);
        var restarted = Resolver(Trust(_key));
        using var model = (IDisposable)restarted.LoadModel(Name);

        Assert.Equal(1, restarted.Cache.Downloads);
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(TinyModel.PackageDirectory, "predictor.pt")), await File.ReadAllBytesAsync(cachedPredictor));
        Assert.Equal(Sample(TinyModel.Model), Sample((Models.IFlowModel)model));
    }

    private static float[] Sample(Models.IFlowModel model)
    {
        var spec = new JobSpec { Kind = JobKind.Generate, Model = Name, Sampler = Sampling.SamplerSpec.Parse("flowturbo:h=1,p=1,r=1"), Samples = 4, Seed = 3 };
        return ResolvedJob.Create(spec, model).Generator.Generate(0, 4).Samples.ToArray();
    }

    private static RegistryTrust Trust(ECDsa key)
    {
        // Only the public half, as a silo holds it.
        var pub = ECDsa.Create();
        pub.ImportSubjectPublicKeyInfo(key.ExportSubjectPublicKeyInfo(), out _);
        return new RegistryTrust([pub]);
    }

    private RegistryResolver Resolver(RegistryTrust? trust, string cache = "cache") =>
        new(new ModelCache(new ModelRegistry(new LocalDirectoryBlobStore(StoreRoot), trust: trust), new ModelCacheOptions { Root = Path.Combine(_root, cache) }));
}
