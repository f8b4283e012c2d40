namespace OrleansFlow.Jobs;

/// <summary>The counts behind precision = GeneratedInside / Generated and recall = ReferenceInside / Reference.</summary>
public sealed record PrecisionRecallCounts(long GeneratedInside, long Generated, long ReferenceInside, long Reference, int Neighbours);
