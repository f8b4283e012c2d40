using OrleansFlow.Client.Evaluation;

namespace OrleansFlow.Client.Tests.Evaluation;

/// <summary>
/// The goal line of the main job: a FlowTurbo row reaches Heun 8 when its trajectory error is at most
/// Heun 8's and its FID is within the two rows' seed spreads of Heun 8's; the goal is met at half the time.
/// </summary>
public class FidTableFindingsTests
{
    private static readonly FidTableResult Heun8 = Result(FidTableRow.Baseline, traj: 0.0755, fid: [7.0, 7.4], ms: 10);

    [Fact]
    public void Goal_FidAboveHeun8WithinSpread_Reached()
    {
        // 7.7 against 7.2: 0.5 above, the spreads together 0.57.
        var turbo = Result("flowturbo:h=2,p=8,r=0", traj: 0.0604, fid: [7.5, 7.9], ms: 4);

        var goal = GoalLine([Heun8, turbo]);

        Assert.StartsWith("Goal (Heun 8's trajectory error and FID in >= 50 % less time): reached", goal);
        Assert.Contains("60 % less time", goal);
    }

    [Fact]
    public void Goal_FidAboveHeun8BeyondSpread_NotReached()
    {
        var turbo = Result("flowturbo:h=2,p=8,r=0", traj: 0.0604, fid: [8.5, 8.9], ms: 4);

        Assert.Contains("no FlowTurbo row reaches Heun 8", GoalLine([Heun8, turbo]));
    }

    [Fact]
    public void Goal_TrajectoryErrorAboveHeun8_NotReachedWhateverTheFid()
    {
        var turbo = Result("flowturbo:h=1,p=7,r=0", traj: 0.0961, fid: [6.0, 6.1], ms: 4);

        Assert.Contains("no FlowTurbo row reaches Heun 8", GoalLine([Heun8, turbo]));
    }

    [Fact]
    public void Goal_ReachedInMoreThanHalfTheTime_NotReachedAndSaysHowFar()
    {
        var turbo = Result("flowturbo:h=3,p=7,r=0", traj: 0.0545, fid: [7.1, 7.3], ms: 8.1);

        var goal = GoalLine([Heun8, turbo]);

        Assert.StartsWith("Goal (Heun 8's trajectory error and FID in >= 50 % less time): not reached", goal);
        Assert.Contains("19 % less time", goal);
    }

    private static string GoalLine(IReadOnlyList<FidTableResult> rows) => Assert.Single(FidTable.Findings(rows), l => l.StartsWith("Goal", StringComparison.Ordinal));

    private static FidTableResult Result(string sampler, double traj, double[] fid, double ms) => new(
        new FidTableRow(sampler, "fashion-rf", sampler), SeedEstimate.Of(fid), traj, 16, 0, ms, [ms], ["summary.json"], SuiteEstimates.Of([null]), "samples.png");
}
