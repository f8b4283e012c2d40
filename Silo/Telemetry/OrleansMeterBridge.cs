using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OrleansFlow.Silo.Telemetry;

/// <summary>
/// Orleans' own instruments (meter <c>Microsoft.Orleans</c>) as Prometheus wants them: Orleans gives them no
/// description (promtool: "no help text") and times in milliseconds, memory in megabytes (promtool: "use base
/// unit"). An OpenTelemetry view can set a description but not a unit, so this listens to Orleans' meter and
/// republishes every instrument on <see cref="MeterName"/> under the same name, with a description and base
/// units (seconds, bytes; values converted as they are recorded). <c>/metrics</c> exports this meter instead
/// of Orleans' (docs/telemetry.md).
/// </summary>
public sealed class OrleansMeterBridge : IDisposable
{
    public const string MeterName = "OrleansFlow.Orleans";

    /// <summary>Observable instruments are read once per scrape: callbacks within this window share one read of Orleans' callbacks.</summary>
    private static readonly TimeSpan PollWindow = TimeSpan.FromMilliseconds(250);

    /// <summary>Latency buckets in seconds (Orleans' default boundaries were chosen for milliseconds).</summary>
    private static readonly double[] SecondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly Meter _meter = new(MeterName);
    private readonly MeterListener _listener = new();
    private readonly Lock _pollLock = new();
    private readonly Dictionary<Instrument, List<Measurement<double>>> _observed = [];
    private long _lastPoll;

    public OrleansMeterBridge()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == SiloTelemetry.OrleansMeterName && Mirror(instrument) is { } mirror)
            {
                listener.EnableMeasurementEvents(instrument, mirror);
            }
        };
        _listener.SetMeasurementEventCallback<byte>((i, v, t, s) => Record(i, v, t, s));
        _listener.SetMeasurementEventCallback<short>((i, v, t, s) => Record(i, v, t, s));
        _listener.SetMeasurementEventCallback<int>((i, v, t, s) => Record(i, v, t, s));
        _listener.SetMeasurementEventCallback<long>((i, v, t, s) => Record(i, v, t, s));
        _listener.SetMeasurementEventCallback<float>((i, v, t, s) => Record(i, v, t, s));
        _listener.SetMeasurementEventCallback<double>((i, v, t, s) => Record(i, v, t, s));
        _listener.SetMeasurementEventCallback<decimal>((i, v, t, s) => Record(i, (double)v, t, s));
        _listener.Start();
    }

    /// <summary>The base unit and factor for a unit Orleans uses; null when it is already a base unit (or none).</summary>
    public static (string Unit, double Factor, string Words)? BaseUnit(string? unit) => unit switch
    {
        "ms" => ("s", 1e-3, "seconds"),
        "us" or "μs" => ("s", 1e-6, "seconds"),
        "MB" or "MBy" or "MiB" => ("By", 1024d * 1024, "bytes"),
        "KB" or "KBy" or "KiB" => ("By", 1024d, "bytes"),
        _ => null,
    };

    /// <summary>Help text for an Orleans instrument: Orleans' own when it has one, else one made from its name and unit.</summary>
    public static string Describe(Instrument instrument)
    {
        ArgumentNullException.ThrowIfNull(instrument);
        if (!string.IsNullOrWhiteSpace(instrument.Description))
        {
            return instrument.Description;
        }

        var words = (instrument.Name.StartsWith("orleans-", StringComparison.Ordinal) ? instrument.Name["orleans-".Length..] : instrument.Name).Replace('-', ' ');
        var unit = BaseUnit(instrument.Unit) is { } converted ? $", in {converted.Words}" : string.IsNullOrEmpty(instrument.Unit) ? string.Empty : $", in {instrument.Unit}";
        return $"Orleans runtime: {words}{unit} (Orleans' instrument {instrument.Name})";
    }

    public void Dispose()
    {
        _listener.Dispose();
        _meter.Dispose();
    }

    private Target? Mirror(Instrument source)
    {
        var converted = BaseUnit(source.Unit);
        var unit = converted?.Unit ?? source.Unit;
        var factor = converted?.Factor ?? 1;
        var description = Describe(source);
        var type = source.GetType();
        var kind = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        if (kind == typeof(Counter<>))
        {
            return new Target(factor, _meter.CreateCounter<double>(source.Name, unit, description));
        }

        if (kind == typeof(UpDownCounter<>))
        {
            return new Target(factor, _meter.CreateUpDownCounter<double>(source.Name, unit, description));
        }

        if (kind == typeof(Histogram<>))
        {
            var advice = converted?.Unit == "s" ? new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets } : null;
            return new Target(factor, _meter.CreateHistogram(source.Name, unit, description, tags: null, advice));
        }

        if (kind == typeof(Gauge<>))
        {
            return new Target(factor, _meter.CreateGauge<double>(source.Name, unit, description));
        }

        if (kind == typeof(ObservableCounter<>))
        {
            _meter.CreateObservableCounter(source.Name, () => Observe(source), unit, description);
            return new Target(factor, Observed: source);
        }

        if (kind == typeof(ObservableUpDownCounter<>))
        {
            _meter.CreateObservableUpDownCounter(source.Name, () => Observe(source), unit, description);
            return new Target(factor, Observed: source);
        }

        if (kind == typeof(ObservableGauge<>))
        {
            _meter.CreateObservableGauge(source.Name, () => Observe(source), unit, description);
            return new Target(factor, Observed: source);
        }

        return null;
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        if (state is not Target target)
        {
            return;
        }

        value *= target.Factor;
        switch (target.Instrument)
        {
            case Counter<double> counter:
                counter.Add(value, tags);
                break;
            case UpDownCounter<double> upDown:
                upDown.Add(value, tags);
                break;
            case Histogram<double> histogram:
                histogram.Record(value, tags);
                break;
            case Gauge<double> gauge:
                gauge.Record(value, tags);
                break;
            default:
                // An observable instrument's reading, delivered while Observe holds the poll lock on this thread.
                if (!_observed.TryGetValue(instrument, out var readings))
                {
                    _observed[instrument] = readings = [];
                }

                readings.Add(new Measurement<double>(value, tags));
                break;
        }
    }

    /// <summary>The readings of an observable Orleans instrument, from one poll of all of them per scrape.</summary>
    private IEnumerable<Measurement<double>> Observe(Instrument source)
    {
        lock (_pollLock)
        {
            if (Stopwatch.GetElapsedTime(_lastPoll) > PollWindow)
            {
                _observed.Clear();
                _listener.RecordObservableInstruments();
                _lastPoll = Stopwatch.GetTimestamp();
            }

            return _observed.TryGetValue(source, out var readings) ? [.. readings] : [];
        }
    }

    /// <summary>Where one Orleans instrument's measurements go: a mirror instrument, or (observable) the readings of a poll.</summary>
    private sealed record Target(double Factor, Instrument? Instrument = null, Instrument? Observed = null);
}
