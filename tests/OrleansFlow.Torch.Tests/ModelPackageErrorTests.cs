using OrleansFlow.Models;

namespace OrleansFlow.Torch.Tests;

/// <summary>Bad packages fail at load with a one-line message naming the file, and the process lives on.</summary>
public class ModelPackageErrorTests
{
    [Fact]
    public void Load_CorruptPredictorFile_ThrowsSpecExceptionNamingTheFile()
    {
        var directory = TinyModel.CopyPackage();
        try
        {
            File.WriteAllBytes(Path.Combine(directory, "predictor.pt"), [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 37))]);

            var error = Assert.Throws<SpecException>(() => ModelCatalog.Load(directory));

            Assert.Equal("model", error.Field);
            Assert.Contains("predictor.pt", error.Message, StringComparison.Ordinal);
            Assert.Contains("not a loadable TorchScript module", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Load_InputShapeNotWhatTheNetworkTakes_ThrowsSpecExceptionSayingItDoesNotMatch()
    {
        var directory = TinyModel.CopyPackage(json => json.Replace("\"input_shape\": [\n    4,\n    8,\n    8\n  ]", "\"input_shape\": [4, 16, 16]", StringComparison.Ordinal));
        try
        {
            var error = Assert.Throws<SpecException>(() => ModelCatalog.Load(directory));

            Assert.Contains("does not match its model.json", error.Message, StringComparison.Ordinal);
            Assert.Contains("4x16x16", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Load_RefinerFileAsPredictor_ThrowsSpecExceptionAboutTheArguments()
    {
        var directory = TinyModel.CopyPackage();
        try
        {
            File.Copy(Path.Combine(directory, "refiner.pt"), Path.Combine(directory, "predictor.pt"), overwrite: true);

            var error = Assert.Throws<SpecException>(() => ModelCatalog.Load(directory));

            Assert.Contains("predictor.pt: forward failed", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("\n", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData("\"time_convention\": \"sit\"", "\"time_convention\": \"edm\"", "time_convention 'edm' is unknown")]
    [InlineData("\"predictor\": \"predictor.pt\"", "\"predictor\": \"missing.pt\"", "files.predictor")]
    [InlineData("\"kind\": \"velocity\"", "\"kind\": \"epsilon\"", "kind 'epsilon' is not supported")]
    [InlineData("\"null_class\": 10", "\"null_class\": 3", "null_class 3 is one of the classes")]
    public void Load_BadManifestField_ThrowsSpecExceptionNamingTheField(string field, string replacement, string message)
    {
        var directory = TinyModel.CopyPackage(json => json.Replace(field, replacement, StringComparison.Ordinal));
        try
        {
            var error = Assert.Throws<SpecException>(() => ModelCatalog.Load(directory));

            Assert.Contains(message, error.Message, StringComparison.Ordinal);
            Assert.Contains("model.json", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Load_DirectoryWithoutManifest_ThrowsSpecException()
    {
        var directory = Directory.CreateTempSubdirectory("orleansflow-empty-").FullName;
        try
        {
            var error = Assert.Throws<SpecException>(() => ModelCatalog.Load(directory));

            Assert.Contains("without model.json", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Velocity_LabelOutOfRange_ThrowsSpecException()
    {
        var model = TinyModel.Model;
        using var x = model.Backend.Upload(new float[model.Info.Shape.Elements], 1, model.Info.Shape);

        var error = Assert.Throws<SpecException>(() => model.Velocity(x, 0.5, [11]));

        Assert.Equal("class", error.Field);
    }

    [Fact]
    public void Backend_OperandsOfDifferentShape_ThrowsWithoutCrashing()
    {
        var backend = (TorchTensorBackend)TinyModel.Model.Backend;
        using var a = backend.Upload(new float[2 * 256], 2, new Ids.Resolution(4, 8, 8));
        using var b = backend.Upload(new float[3 * 256], 3, new Ids.Resolution(4, 8, 8));

        Assert.Throws<ArgumentException>(() => backend.Add(a, 1, b));
    }
}
