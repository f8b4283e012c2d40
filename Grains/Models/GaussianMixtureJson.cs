using System.Text.Json;
using OrleansFlow.Ids;

namespace OrleansFlow.Models;

/// <summary>
/// Reads the JSON form of DESIGN.md:
/// <c>{"shape":[C,H,W], "weights":[..], "means":[[..]..], "stds":[..], "classes":[..]}</c>;
/// <c>classes</c> is optional (absent = unconditional).
/// </summary>
public static class GaussianMixtureJson
{
    public static GaussianMixtureFlow Load(string path, string name)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SpecException("model", $"cannot read mixture file '{path}': {e.Message}");
        }

        return Parse(text, name);
    }

    public static GaussianMixtureFlow Parse(string json, string name)
    {
        Document document;
        try
        {
            document = JsonSerializer.Deserialize<Document>(json, new JsonSerializerOptions { PropertyNameCaseInsensitive = true })
                ?? throw new SpecException("model", $"{name}: empty mixture JSON");
        }
        catch (JsonException e)
        {
            throw new SpecException("model", $"{name}: malformed mixture JSON ({e.Message})");
        }

        var shape = document.Shape is { Length: 3 } s
            ? new Resolution(s[0], s[1], s[2])
            : throw new SpecException("model", $"{name}: 'shape' must be [C,H,W]");
        var count = document.Weights?.Length ?? 0;
        Check(count > 0, name, "'weights' must list at least one component");
        Check(document.Means?.Length == count, name, $"'means' must have {count} entries");
        Check(document.Stds?.Length == count, name, $"'stds' must have {count} entries");
        Check(document.Classes is null || document.Classes.Length == count, name, $"'classes' must have {count} entries");
        var components = new MixtureComponent[count];
        for (var k = 0; k < count; k++)
        {
            var (weight, mean, std) = (document.Weights![k], document.Means![k], document.Stds![k]);
            Check(weight > 0 && double.IsFinite(weight), name, $"weights[{k}] must be > 0");
            Check(std > 0 && double.IsFinite(std), name, $"stds[{k}] must be > 0");
            Check(mean.Length == shape.Elements, name, $"means[{k}] must have {shape.Elements} values (C·H·W)");
            Check(mean.All(double.IsFinite), name, $"means[{k}] must be finite");
            var label = document.Classes?[k] ?? 0;
            Check(label >= 0, name, $"classes[{k}] must be >= 0");
            components[k] = new MixtureComponent(weight, mean, std, label);
        }

        return new GaussianMixtureFlow(name, shape, components, conditional: document.Classes is not null);
    }

    private static void Check(bool condition, string name, string message)
    {
        if (!condition)
        {
            throw new SpecException("model", $"{name}: {message}");
        }
    }

    private sealed record Document(int[]? Shape, double[]? Weights, double[][]? Means, double[]? Stds, int[]? Classes);
}
