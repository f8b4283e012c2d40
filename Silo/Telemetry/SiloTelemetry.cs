using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using OrleansFlow.Telemetry;

namespace OrleansFlow.Silo.Telemetry;

/// <summary>
/// The silo's OpenTelemetry: a MeterProvider over <see cref="OrleansFlowMetrics"/> and Orleans' own
/// meter (through <see cref="OrleansMeterBridge"/>), read by <c>/metrics</c> (OpenTelemetry's Prometheus exporter) and, when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, exported over OTLP with the spans of shard runs,
/// finalisations, generate requests and ASP.NET Core's request spans. The standard <c>OTEL_*</c>
/// variables (protocol, headers, service name, resource attributes) apply as in any OpenTelemetry SDK.
/// </summary>
public static class SiloTelemetry
{
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string DefaultServiceName = "orleansflow-silo";

    /// <summary>The meter Orleans' runtime publishes (activations, messaging, storage, directory, reminders).</summary>
    public const string OrleansMeterName = "Microsoft.Orleans";

    /// <summary>Where Prometheus scrapes.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>Registers the providers; <see cref="Start"/> builds them once the container exists.</summary>
    public static IServiceCollection AddSiloTelemetry(this IServiceCollection services, IConfiguration configuration, string nodeId)
    {
        var otlp = !string.IsNullOrWhiteSpace(configuration[OtlpEndpointKey]);
        var serviceName = configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name : DefaultServiceName;
        void Resource(ResourceBuilder resource) => resource.AddService(serviceName, serviceInstanceId: nodeId);

        services.AddSingleton<OrleansMeterBridge>();
        services.AddSingleton(provider =>
        {
            // Orleans' meter goes out through the bridge: described, in base units (promtool-clean).
            provider.GetRequiredService<OrleansMeterBridge>();
            var metrics = Sdk.CreateMeterProviderBuilder()
                .ConfigureResource(Resource)
                .AddMeter(OrleansFlowMetrics.Name, OrleansMeterBridge.MeterName)
                // No response cache: every scrape collects, so a value read right after the work includes it.
                .AddPrometheusExporter(options => options.ScrapeResponseCacheDurationMilliseconds = 0);
            if (otlp)
            {
                metrics.AddOtlpExporter();
            }

            return metrics.Build();
        });
        services.AddSingleton(_ =>
        {
            var traces = Sdk.CreateTracerProviderBuilder()
                .ConfigureResource(Resource)
                .AddSource(OrleansFlowMetrics.Name, "Microsoft.AspNetCore");
            if (otlp)
            {
                traces.AddOtlpExporter();
            }

            return traces.Build();
        });
        return services;
    }

    /// <summary>Builds the providers so instruments record from the first request and shard on.</summary>
    public static void Start(IServiceProvider services)
    {
        services.GetRequiredService<MeterProvider>();
        if (!string.IsNullOrWhiteSpace(services.GetRequiredService<IConfiguration>()[OtlpEndpointKey]))
        {
            services.GetRequiredService<TracerProvider>();
        }
    }

    /// <summary><c>GET /metrics</c>: the Prometheus text of every instrument; no token (scrapers need none).</summary>
    public static void MapMetrics(this IEndpointRouteBuilder app) => app.MapPrometheusScrapingEndpoint(MetricsPath);
}
