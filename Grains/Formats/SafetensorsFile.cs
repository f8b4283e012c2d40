using System.Diagnostics.CodeAnalysis;

namespace OrleansFlow.Formats;

/// <summary>The tensors of a safetensors file, in file order, and its <c>__metadata__</c>.</summary>
public sealed class SafetensorsFile
{
    private readonly Dictionary<string, SafetensorsTensor> _byName;

    internal SafetensorsFile(IReadOnlyList<SafetensorsTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Tensors = tensors;
        Metadata = metadata;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The tensors, ordered by their position in the data buffer.</summary>
    public IReadOnlyList<SafetensorsTensor> Tensors { get; }

    /// <summary>The string-to-string <c>__metadata__</c> map (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensor called <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public SafetensorsTensor this[string name] => TryGetTensor(name, out SafetensorsTensor? tensor)
        ? tensor
        : throw new KeyNotFoundException(
            $"safetensors file has no tensor '{name}' (it has: {string.Join(", ", Tensors.Select(t => t.Name))}).");

    /// <summary>Looks up an optional tensor, such as the <c>label</c> of conditional reflow data.</summary>
    public bool TryGetTensor(string name, [MaybeNullWhen(false)] out SafetensorsTensor tensor) =>
        _byName.TryGetValue(name, out tensor);

    /// <summary>The values of the F32 tensor <paramref name="name"/>.</summary>
    public float[] GetFloats(string name) => this[name].ToFloats();

    /// <summary>The values of the I64 tensor <paramref name="name"/>.</summary>
    public long[] GetInt64s(string name) => this[name].ToInt64s();
}
