namespace OrleansFlow.Statistics.Metrics;

/// <summary>The counts behind precision and recall, and the shares themselves.</summary>
public sealed record PrecisionRecallResult(long GeneratedInside, long Generated, long ReferenceInside, long Reference, int Neighbours)
{
    public double Precision => (double)GeneratedInside / Generated;

    public double Recall => (double)ReferenceInside / Reference;
}
