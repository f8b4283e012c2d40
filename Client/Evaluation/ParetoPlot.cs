using System.Globalization;
using ScottPlot;

namespace OrleansFlow.Client.Evaluation;

/// <summary>
/// <c>pareto.png</c>: the table's quality against its cost, one point per row, in two panels side by
/// side: FID (left) and trajectory error (right) against ms/sample. Heun, Euler, FlowTurbo and one-step
/// rows are separate series, so FlowTurbo's claim (same quality for less time) reads as its points
/// sitting below and left of the Heun curve.
/// </summary>
internal static class ParetoPlot
{
    public const int Width = 1400;
    public const int Height = 560;

    /// <summary>The series of a panel: a name and the rows it draws, in order of cost (Heun and Euler as lines).</summary>
    public static IReadOnlyList<(string Name, IReadOnlyList<FidTableResult> Rows)> Series(IReadOnlyList<FidTableResult> rows) =>
    [
        .. new (string Name, Func<FidTableRow, bool> Member)[]
        {
            ("Heun", r => r.IsHeun),
            ("Euler", r => r.Sampler.StartsWith("euler:", StringComparison.Ordinal)),
            ("FlowTurbo", r => r.IsFlowTurbo),
            ("one-step", r => r.IsOneStep),
        }
        .Select(s => (s.Name, (IReadOnlyList<FidTableResult>)[.. rows.Where(r => s.Member(r.Row)).OrderBy(r => r.MsPerSample)]))
        .Where(s => s.Item2.Count > 0),
    ];

    /// <summary>Both panels; each has one scatter point per row (what the tests count).</summary>
    public static Multiplot Build(FidTableReport report)
    {
        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        Panel(multiplot.GetPlot(0), report, $"{report.FidLabel} (mean over seeds)", r => r.Fid.Mean);
        Panel(multiplot.GetPlot(1), report, "trajectory error (RMS per pixel vs Heun 64)", r => r.TrajectoryRms);
        return multiplot;
    }

    public static void Save(FidTableReport report, string path) => Build(report).SavePng(path, Width, Height);

    private static void Panel(Plot plot, FidTableReport report, string quantity, Func<FidTableResult, double> value)
    {
        foreach (var (name, rows) in Series(report.Rows))
        {
            var xs = rows.Select(r => r.MsPerSample).ToArray();
            var ys = rows.Select(value).ToArray();
            var scatter = plot.Add.Scatter(xs, ys);
            scatter.LegendText = name;
            scatter.MarkerSize = 9;
            // Only the solver families are curves; FlowTurbo schedules and one-step models are separate points.
            scatter.LineWidth = name is "Heun" or "Euler" ? 1.5f : 0;
            foreach (var row in rows)
            {
                var label = plot.Add.Text(Short(row.Row.Name), row.MsPerSample, value(row));
                label.LabelFontSize = 10;
                label.LabelAlignment = Alignment.LowerLeft;
                label.OffsetX = 5;
                label.OffsetY = -4;
            }
        }

        // Room on the right for the costliest row's label, which starts at its point.
        plot.Axes.Margins(left: 0.05, right: 0.15, bottom: 0.05, top: 0.1);
        plot.Title($"{quantity} vs time, {report.Data}");
        plot.XLabel("ms per sample (whole embedded FID job, fastest seed)");
        plot.YLabel(quantity);
        plot.ShowLegend(Alignment.UpperRight);
    }

    /// <summary>A point's label: the row's name up to its parenthesis ("+ refiner H1P4R3").</summary>
    private static string Short(string name) => name.Split(" (", 2)[0];

    internal static string Describe(FidTableReport report, string path) =>
        string.Create(CultureInfo.InvariantCulture, $"{path}: {report.Rows.Count} rows, {report.FidLabel} and trajectory error against ms/sample");
}
