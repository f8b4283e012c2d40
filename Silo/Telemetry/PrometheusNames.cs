using System.Text;
using OpenTelemetry.Metrics;

namespace OrleansFlow.Silo.Telemetry;

/// <summary>
/// OpenTelemetry instrument names and units as Prometheus names, by the rules of OpenTelemetry's
/// Prometheus exporter (and the OTLP-to-Prometheus specification): characters outside
/// <c>[a-zA-Z0-9_:]</c> become <c>_</c>, runs of <c>_</c> collapse, the unit is appended as a word
/// (<c>s</c> → <c>_seconds</c>, <c>By</c> → <c>_bytes</c>, annotations such as <c>{sample}</c> are
/// dropped), and counters end in <c>_total</c>.
/// </summary>
public static class PrometheusNames
{
    /// <summary>The family name of a metric: what <c>/metrics</c>, dashboards and alerts use.</summary>
    public static string Metric(string instrument, string? unit, PrometheusType type)
    {
        var name = Sanitize(instrument);
        var suffix = UnitSuffix(unit, type);
        if (suffix.Length > 0 && !name.EndsWith("_" + suffix, StringComparison.Ordinal))
        {
            name += "_" + suffix;
        }

        if (type == PrometheusType.Counter && !name.EndsWith("_total", StringComparison.Ordinal))
        {
            name += "_total";
        }

        return name;
    }

    /// <summary>The Prometheus type OpenTelemetry's exporter gives an OpenTelemetry metric type.</summary>
    public static PrometheusType TypeOf(MetricType type) => type switch
    {
        MetricType.LongSum or MetricType.DoubleSum => PrometheusType.Counter,
        MetricType.Histogram => PrometheusType.Histogram,
        MetricType.LongGauge or MetricType.DoubleGauge or MetricType.LongSumNonMonotonic or MetricType.DoubleSumNonMonotonic => PrometheusType.Gauge,
        _ => PrometheusType.Untyped,
    };

    /// <summary>A label name: invalid characters become <c>_</c>, and a leading digit gets a <c>_</c> prefix.</summary>
    public static string Label(string key)
    {
        var name = Sanitize(key);
        return name.Length > 0 && char.IsAsciiDigit(name[0]) ? "_" + name : name;
    }

    private static string UnitSuffix(string? unit, PrometheusType type)
    {
        if (string.IsNullOrEmpty(unit))
        {
            return string.Empty;
        }

        if (unit == "1")
        {
            return type == PrometheusType.Gauge ? "ratio" : string.Empty;
        }

        // "{sample}" and the annotation in "{request}/s" say what is counted, not a unit.
        var text = RemoveAnnotations(unit);
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            var per = Word(text[(slash + 1)..], PerUnits);
            var of = Word(text[..slash], Units);
            return (of, per) switch
            {
                ("", "") => string.Empty,
                ("", _) => "per_" + per,
                (_, "") => of,
                _ => $"{of}_per_{per}",
            };
        }

        return Word(text, Units);
    }

    private static string Word(string unit, IReadOnlyDictionary<string, string> known) =>
        unit.Length == 0 ? string.Empty : known.TryGetValue(unit, out var word) ? word : Sanitize(unit).Trim('_');

    private static string RemoveAnnotations(string unit)
    {
        var text = new StringBuilder(unit.Length);
        var depth = 0;
        foreach (var c in unit)
        {
            if (c == '{')
            {
                depth++;
            }
            else if (c == '}' && depth > 0)
            {
                depth--;
            }
            else if (depth == 0)
            {
                text.Append(c);
            }
        }

        return text.ToString().Trim();
    }

    private static string Sanitize(string name)
    {
        var text = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            var ok = char.IsAsciiLetterOrDigit(c) || c is '_' or ':';
            var next = ok ? c : '_';
            if (next == '_' && text.Length > 0 && text[^1] == '_')
            {
                continue;
            }

            text.Append(next);
        }

        return text.ToString();
    }

    private static readonly Dictionary<string, string> Units = new(StringComparer.Ordinal)
    {
        ["d"] = "days", ["h"] = "hours", ["min"] = "minutes", ["s"] = "seconds", ["ms"] = "milliseconds",
        ["us"] = "microseconds", ["ns"] = "nanoseconds", ["By"] = "bytes", ["KiBy"] = "kibibytes",
        ["MiBy"] = "mebibytes", ["GiBy"] = "gibibytes", ["TiBy"] = "tibibytes", ["KBy"] = "kilobytes",
        ["MBy"] = "megabytes", ["GBy"] = "gigabytes", ["TBy"] = "terabytes", ["m"] = "meters", ["V"] = "volts",
        ["A"] = "amperes", ["J"] = "joules", ["W"] = "watts", ["g"] = "grams", ["Cel"] = "celsius",
        ["Hz"] = "hertz", ["%"] = "percent",
    };

    private static readonly Dictionary<string, string> PerUnits = new(StringComparer.Ordinal)
    {
        ["s"] = "second", ["m"] = "minute", ["h"] = "hour", ["d"] = "day", ["w"] = "week", ["mo"] = "month", ["y"] = "year",
    };
}

/// <summary>The metric types of the Prometheus text format.</summary>
public enum PrometheusType
{
    Counter,
    Gauge,
    Histogram,
    Untyped,
}
