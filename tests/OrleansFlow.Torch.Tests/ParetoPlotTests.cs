using OrleansFlow.Client.Evaluation;

namespace OrleansFlow.Torch.Tests;

public class ParetoPlotTests
{
    [Fact]
    public void Build_FashionRows_DrawsOnePointPerRowInEachPanel()
    {
        var rows = FidTableRow.Fashion.Select((row, i) => new FidTableResult(
            row, SeedEstimate.Of([1.0 + i, 1.5 + i]), 0.1 / (i + 1), 8, 0, 1.0 + i, [1.0], ["summary.json"], SuiteEstimates.Of([null]), "samples.png")).ToList();
        var report = new FidTableReport(
            "fashion", "FID-fashion", 10_000, "fashion-rf", Client.Benchmarks.MachineInfo.Now(), 100, [0, 1], 50, 2, 1, 1, 50, "heun:steps=64", "fashion-eval", "features", "fid", rows);

        var multiplot = ParetoPlot.Build(report);

        foreach (var plot in ScottPlot.IMultiplotExtensions.GetPlots(multiplot))
        {
            var points = plot.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().Sum(s => s.Data.GetScatterPoints().Count);
            Assert.Equal(rows.Count, points);
        }

        Assert.Equal(2, ScottPlot.IMultiplotExtensions.GetPlots(multiplot).Length);
        var path = Path.Combine(Path.GetTempPath(), $"pareto-{Guid.NewGuid():N}.png");
        try
        {
            ParetoPlot.Save(report, path);
            var png = Formats.Png.Decode(File.ReadAllBytes(path));
            Assert.Equal((ParetoPlot.Width, ParetoPlot.Height), (png.Width, png.Height));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
