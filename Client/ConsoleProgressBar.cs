using System.Globalization;
using OrleansFlow.Jobs;

namespace OrleansFlow.Client;

/// <summary>
/// A progress bar with samples/s and ETA on stderr. On a terminal it redraws one line at most ten
/// times a second; into a file or pipe it writes a plain line every few seconds instead.
/// </summary>
public sealed class ConsoleProgressBar(TextWriter writer) : IProgress<JobProgress>, IDisposable
{
    private const int Width = 30;
    private static readonly TimeSpan TerminalInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(5);

    private readonly bool _interactive = ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected;
    private readonly Lock _lock = new();
    private TimeSpan? _lastDrawn;
    private JobProgress? _last;
    private JobProgress? _drawn;
    private bool _completed;

    public void Report(JobProgress value)
    {
        lock (_lock)
        {
            _last = value;
            var interval = _interactive ? TerminalInterval : LogInterval;
            if (value.Done < value.Total && _lastDrawn is { } last && value.Elapsed - last < interval)
            {
                return;
            }

            _lastDrawn = value.Elapsed;
            Draw(value);
        }
    }

    /// <summary>Draws the final state and ends the line.</summary>
    public void Complete()
    {
        lock (_lock)
        {
            if (_last is not null && !_completed)
            {
                if (!ReferenceEquals(_last, _drawn))
                {
                    Draw(_last);
                }

                if (_interactive)
                {
                    writer.WriteLine();
                }
            }

            _completed = true;
        }
    }

    public void Dispose() => Complete();

    public static string Format(JobProgress p)
    {
        var fraction = p.Total > 0 ? (double)p.Done / p.Total : 1;
        var filled = (int)Math.Round(fraction * Width);
        var eta = p.Remaining is { } remaining ? remaining.ToString(remaining.TotalHours >= 1 ? @"h\:mm\:ss" : @"mm\:ss", CultureInfo.InvariantCulture) : "--:--";
        return string.Create(CultureInfo.InvariantCulture,
            $"[{new string('#', filled)}{new string('.', Width - filled)}] {p.Done:N0}/{p.Total:N0} {fraction,4:P0} {p.SamplesPerSecond:N0} samples/s ETA {eta}");
    }

    private void Draw(JobProgress value)
    {
        _drawn = value;
        if (_interactive)
        {
            writer.Write($"\r{Format(value)}   ");
        }
        else
        {
            writer.WriteLine(Format(value));
        }

        writer.Flush();
    }
}
