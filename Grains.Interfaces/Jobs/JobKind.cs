namespace OrleansFlow.Jobs;

public enum JobKind
{
    /// <summary>Generate samples, accumulate features, report FID against reference statistics.</summary>
    Fid,

    /// <summary>Solve the ODE from each noise x0 to its sample x1 and store the pairs (reflow coupling data).</summary>
    Reflow,

    /// <summary>Generate samples as PNG images with a preview grid.</summary>
    Generate,
}
