namespace OrleansFlow.Jobs;

/// <summary>The metrics an fid job can report, as named on the command line (<c>--metrics fid,sfid,is,prc,kid</c>).</summary>
[Flags]
public enum EvaluationMetric
{
    None = 0,

    /// <summary>Fréchet distance of pooled features.</summary>
    Fid = 1,

    /// <summary>Fréchet distance of spatial features (ADM: first 7 channels of Inception's mixed_6/conv).</summary>
    Sfid = 2,

    /// <summary>Inception Score from the feature network's class logits.</summary>
    InceptionScore = 4,

    /// <summary>Improved precision and recall (Kynkäänniemi et al., k = 3).</summary>
    PrecisionRecall = 8,

    /// <summary>Kernel Inception Distance (unbiased polynomial MMD²).</summary>
    Kid = 16,
}
