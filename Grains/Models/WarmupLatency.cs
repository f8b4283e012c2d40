namespace OrleansFlow.Models;

/// <summary>First-batch latency of one batch size: the very first call (cold) and a call after warm-up (warm).</summary>
public sealed record WarmupLatency(int Batch, double ColdMilliseconds, double WarmMilliseconds);
