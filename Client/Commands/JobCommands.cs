using System.CommandLine;
using System.Globalization;
using OrleansFlow.Client.Cluster;
using OrleansFlow.Jobs;
using OrleansFlow.Silo.Embedded;

namespace OrleansFlow.Client.Commands;

/// <summary><c>orleansflow fid | reflow | generate</c>, run embedded in this process.</summary>
internal static class JobCommands
{
    public static Command Fid(TextWriter output, TextWriter error)
    {
        var options = new JobOptions(JobKind.Fid, defaultSamples: 50_000);
        var reference = new Option<string?>("--reference")
        {
            Description = "Reference: statistics .npz (mu, sigma[, mu_s, sigma_s]), an ADM reference batch (arr_0 images) or a directory of PNGs; default: the model's exact moments",
        };
        var metrics = new Option<string?>("--metrics")
        {
            Description = $"Metrics, comma-separated from {EvaluationMetrics.Allowed}; default: every one the features and the reference allow",
        };
        // A string, parsed here: the enum's own parser and help would show its .NET type and capitalised names.
        var images = new Option<string>("--images")
        {
            Description = "Also keep images: none, png (one per sample) or npz (ADM arr_0)",
            HelpName = "none|png|npz",
            DefaultValueFactory = _ => "none",
            CustomParser = ParseImages,
        };
        var features = new Option<string?>("--features") { Description = "TorchScript Inception v3 (.pt) for FID features; default: the model package's, else the samples themselves" };
        var command = new Command("fid", "Generate samples and report FID against reference statistics");
        options.AddTo(command);
        command.Options.Add(reference);
        command.Options.Add(images);
        command.Options.Add(features);
        command.Options.Add(metrics);
        command.SetAction((result, ct) => RunAsync(
            result,
            options,
            spec => spec with { Reference = result.GetValue(reference), Images = Enum.Parse<ImageOutput>(result.GetValue(images)!, ignoreCase: true), Features = result.GetValue(features), Metrics = result.GetValue(metrics) },
            output,
            error,
            ct));
        return command;
    }

    public static Command Reflow(TextWriter output, TextWriter error)
    {
        var options = new JobOptions(JobKind.Reflow, defaultSamples: 10_000);
        var command = new Command("reflow", "Generate (x0, x1) noise–sample pairs as safetensors shards for reflow training");
        options.AddTo(command);
        command.SetAction((result, ct) => RunAsync(result, options, null, output, error, ct));
        return command;
    }

    public static Command Generate(TextWriter output, TextWriter error)
    {
        var options = new JobOptions(JobKind.Generate, defaultSamples: 16);
        var command = new Command("generate", "Generate samples as PNG images with a preview grid");
        options.AddTo(command);
        command.SetAction((result, ct) => RunAsync(result, options, null, output, error, ct));
        return command;
    }

    private static async Task<int> RunAsync(
        ParseResult result, JobOptions options, Func<JobSpec, JobSpec>? customize, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var outDirectory = result.GetValue(options.Out)!;
        try
        {
            var spec = options.ToSpec(result, customize);
            if (ClusterTarget.From(options.ToClusterArguments(result)) is { } cluster)
            {
                return await RunOnClusterAsync(result, options, spec, cluster, output, error, cancellationToken);
            }

            var run = new RunOptions
            {
                Resume = result.GetValue(options.Resume),
                Force = result.GetValue(options.Force),
                Workers = Positive("workers", result.GetValue(options.Workers)),
                Registry = result.GetValue(options.Registry),
            };
            using var progress = result.GetValue(options.Quiet) ? null : new ConsoleProgressBar(error);
            var summary = await EmbeddedRunner.RunAsync(spec, outDirectory, run, progress, cancellationToken);
            progress?.Complete();
            await output.WriteLineAsync(Describe(summary, outDirectory));
            return ExitCodes.Success;
        }
        catch (SpecException e)
        {
            await error.WriteLineAsync($"orleansflow: --{Cli.OneLine(e.Message)}");
            return ExitCodes.BadInput;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync($"orleansflow: interrupted; finished shards are kept in {outDirectory}: {ResumeHint(result, options)} to finish");
            return ExitCodes.Interrupted;
        }
        catch (Exception e) when (e is JobFailedException or IOException or InvalidDataException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"orleansflow: failed: {Cli.OneLine(e.Message)} (finished shards in {outDirectory} are kept: fix the cause and {ResumeHint(result, options)})");
            return ExitCodes.Failure;
        }
    }

    /// <summary>
    /// <c>--cluster URL</c> (HTTP API) or <c>--orleans-postgres</c>/<c>--gateways</c> (Orleans client): the
    /// same job on a cluster; <c>--out</c>, when given explicitly, receives the job's summary.json. Ctrl+C
    /// stops following, the job goes on.
    /// </summary>
    private static async Task<int> RunOnClusterAsync(
        ParseResult result, JobOptions options, JobSpec spec, ClusterTarget cluster, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (result.GetValue(options.Resume) || result.GetValue(options.Force))
        {
            throw new SpecException(cluster.Option, "a cluster job resumes by itself: --resume and --force apply to embedded runs only");
        }

        var outDirectory = result.GetResult(options.Out) is { Implicit: false } ? result.GetValue(options.Out) : null;
        try
        {
            await using var client = await cluster.ConnectAsync(cancellationToken);
            using var progress = result.GetValue(options.Quiet) ? null : new ConsoleProgressBar(error);
            var summary = await ClusterRun.RunAsync(spec, client, outDirectory, progress, error, cancellationToken);
            progress?.Complete();
            await output.WriteLineAsync(Describe(summary, outDirectory ?? cluster.Display));
            return ExitCodes.Success;
        }
        catch (Exception e) when (e is HttpRequestException or ClusterRequestException or Orleans.Runtime.OrleansException or TimeoutException)
        {
            await error.WriteLineAsync($"orleansflow: --{cluster.Option}: {Cli.OneLine(e.Message)}");
            return ExitCodes.Failure;
        }
        catch (JobFailedException e)
        {
            await error.WriteLineAsync($"orleansflow: failed: {Cli.OneLine(e.Message)}");
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Interrupted;
        }
    }

    /// <summary>How to continue a run: --resume and --force refuse each other, so a --force run is resumed without it.</summary>
    private static string ResumeHint(ParseResult result, JobOptions options) =>
        result.GetValue(options.Force) ? "run the same command with --resume in place of --force" : "run the same command with --resume";

    /// <summary>One of the values as the docs write them (any case), else one error line naming --images.</summary>
    private static string ParseImages(System.CommandLine.Parsing.ArgumentResult result)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Empty;
        if (Enum.GetValues<ImageOutput>().Any(value => string.Equals(text, value.ToString(), StringComparison.OrdinalIgnoreCase)))
        {
            return text.ToLowerInvariant();
        }

        result.AddError($"--images: '{text}' is not allowed: use none, png or npz");
        return "none";
    }

    private static int Positive(string field, int value) =>
        value >= 1 ? value : throw new SpecException(field, $"{value} is out of range: allowed >= 1");

    private static string Describe(JobSummary summary, string outDirectory)
    {
        var culture = CultureInfo.InvariantCulture;
        var fid = summary.Fid is { } value ? string.Create(culture, $"FID {value:F4} vs {summary.Reference}; ") : string.Empty;
        return string.Create(culture,
            $"{fid}{DescribeEvaluation(summary.Evaluation)}{summary.Samples:N0} samples, NFE {summary.Nfe.Predictor} predictor + {summary.Nfe.Refiner} refiner per sample, " +
            $"{summary.Seconds:F1} s ({summary.SamplesPerSecond:N0} samples/s); {Path.Combine(outDirectory, "summary.json")}");
    }

    private static string DescribeEvaluation(EvaluationSummary? evaluation)
    {
        if (evaluation is null)
        {
            return string.Empty;
        }

        var culture = CultureInfo.InvariantCulture;
        var parts = new List<string>();
        if (evaluation.Sfid is { } sfid)
        {
            parts.Add(string.Create(culture, $"sFID {sfid:F4}"));
        }

        if (evaluation.InceptionScore is { } score)
        {
            parts.Add(string.Create(culture, $"IS {score:F4} ± {evaluation.InceptionScoreSpread!.Std:F4}"));
        }

        if (evaluation.Precision is { } precision)
        {
            parts.Add(string.Create(culture, $"precision {precision:F4}, recall {evaluation.Recall:F4}"));
        }

        if (evaluation.Kid is { } kid)
        {
            parts.Add(string.Create(culture, $"KID {kid:G4} ± {evaluation.KidSpread!.Std:G3}"));
        }

        return parts.Count == 0 ? string.Empty : string.Join("; ", parts) + "; ";
    }
}
