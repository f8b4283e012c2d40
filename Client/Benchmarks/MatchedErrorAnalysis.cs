using OrleansFlow.Sampling;

namespace OrleansFlow.Client.Benchmarks;

/// <summary>Per sampler family, the cheapest setting that is at least as accurate as a target setting.</summary>
internal static class MatchedErrorAnalysis
{
    public const string ByPredictorNfe = "predictor NFE";
    public const string ByTime = "time";

    public static MatchedError Find(IReadOnlyList<SamplerRow> rows, SamplerSpec target)
    {
        if (target.Kind != SamplerKind.Heun)
        {
            throw new ArgumentException($"The ratios are relative to Heun, so the target must be a Heun setting, not {target}.", nameof(target));
        }

        var targetError = rows.Single(r => r.Sampler == target).RmsError;
        var families = rows.Select(r => r.Family).Distinct().ToList();
        var choices = new List<MatchedChoice>();
        foreach (var (criterion, cheapestFirst) in Criteria())
        {
            var picks = families.ToDictionary(f => f, f => cheapestFirst(rows.Where(r => r.Family == f && r.RmsError <= targetError)).FirstOrDefault());
            // The target itself qualifies, so Heun always has a pick.
            var heun = picks[SamplerKind.Heun]!;
            choices.AddRange(families.Select(f => picks[f] is { } pick
                ? new MatchedChoice(f, criterion, pick, (double)pick.PredictorNfe / heun.PredictorNfe, pick.MsPer1000 / heun.MsPer1000)
                : new MatchedChoice(f, criterion, null, null, null)));
        }

        return new MatchedError(target, targetError, choices);
    }

    private static IEnumerable<(string Criterion, Func<IEnumerable<SamplerRow>, IEnumerable<SamplerRow>> CheapestFirst)> Criteria()
    {
        // Equal predictor NFE: the faster one (fewer refiner calls, on this model just as dear).
        yield return (ByPredictorNfe, rows => rows.OrderBy(r => r.PredictorNfe).ThenBy(r => r.MsPer1000));
        yield return (ByTime, rows => rows.OrderBy(r => r.MsPer1000));
    }
}
