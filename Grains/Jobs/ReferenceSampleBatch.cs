namespace OrleansFlow.Jobs;

/// <summary>Images <see cref="Start"/> … <see cref="Start"/> + <see cref="Count"/> − 1 of a reference, as flattened samples.</summary>
public readonly record struct ReferenceSampleBatch(int Start, int Count, ReadOnlyMemory<float> Samples);
