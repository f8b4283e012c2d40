namespace OrleansFlow.Torch;

/// <summary>The compiled forms the shim can load a module as (values are its <c>OFT_*</c> modes).</summary>
public enum TorchCompilation
{
    /// <summary>Eval mode only: the graph as exported, what a plain PyTorch loop runs.</summary>
    AsLoaded = 0,

    /// <summary><c>torch.jit.freeze</c> + <c>optimize_for_inference</c> (MKLDNN on CPU): changes numerics, can be far slower.</summary>
    FrozenOptimized = 1,

    /// <summary><c>torch.jit.freeze</c> without numerics rewrites: parameters become constants.</summary>
    Frozen = 2,
}

/// <summary>Names used in summaries, metrics and <c>$ORLEANSFLOW_COMPILATION</c>.</summary>
public static class TorchCompilationNames
{
    public static string Name(this TorchCompilation compilation) => compilation switch
    {
        TorchCompilation.AsLoaded => "as-loaded",
        TorchCompilation.Frozen => "frozen",
        TorchCompilation.FrozenOptimized => "frozen+optimized",
        _ => throw new ArgumentOutOfRangeException(nameof(compilation)),
    };

    /// <summary>The form a <see cref="Name"/> names, as summaries and the choices agreed across silos carry it.</summary>
    public static bool TryParse(string name, out TorchCompilation compilation)
    {
        foreach (var candidate in Enum.GetValues<TorchCompilation>())
        {
            if (candidate.Name() == name)
            {
                compilation = candidate;
                return true;
            }
        }

        compilation = default;
        return false;
    }
}
