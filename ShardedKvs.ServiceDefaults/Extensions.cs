using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using ShardedKvs.ServiceDefaults;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every ShardedKvs service gets from Aspire: OpenTelemetry (logs, metrics, traces), health
/// checks, service discovery and resilient HttpClients. A service calls
/// <see cref="AddServiceDefaults{TBuilder}"/> on its builder and <see cref="MapDefaultEndpoints"/> on its app.
/// </summary>
public static class Extensions
{
    /// <summary>Adds telemetry, the default health checks, service discovery and HttpClient defaults.</summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);

        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });

        return builder;
    }

    /// <summary>
    /// Logs, metrics and traces through OpenTelemetry: ASP.NET Core, HttpClient and runtime
    /// instrumentation plus the node's own source and meter (<see cref="ShardedKvsTelemetry.Name"/>).
    /// Health probes are left out of the traces; they would drown everything else.
    /// </summary>
    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);

        // Without a collector nothing would ever read the spans, metrics or log records, yet building
        // the providers makes every request start an Activity and record histograms (measured: a
        // sizeable share of a GET's cost). So OpenTelemetry is set up only where a collector is
        // configured (Aspire sets this variable for its dashboard); there it is exactly as before.
        if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            return builder;
        }

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(ShardedKvsTelemetry.Name))
            .WithTracing(tracing => tracing
                .AddSource(ShardedKvsTelemetry.Name)
                .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = context => !IsHealthProbe(context.Request.Path))
                .AddHttpClientInstrumentation())
            .UseOtlpExporter();

        return builder;
    }

    /// <summary>Registers the liveness check "self", which only proves the process answers.</summary>
    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);

        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [HealthEndpoints.LiveTag]);

        return builder;
    }

    /// <summary>
    /// Maps <c>/health</c> (all checks: readiness) and <c>/alive</c> (checks tagged "live") in every
    /// environment, not only Development: the AppHost's health checks and any orchestrator rely on them.
    /// Readiness answers 200 only when every check is Healthy (see <see cref="HealthEndpoints.ReadinessStatusCodes"/>).
    /// They reveal only a status and the descriptions of failing checks.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);

        app.MapHealthChecks(HealthEndpoints.HealthPath, new HealthCheckOptions
        {
            ResultStatusCodes = HealthEndpoints.ReadinessStatusCodes,
            ResponseWriter = HealthEndpoints.WritePlainText,
        });
        app.MapHealthChecks(HealthEndpoints.AlivePath, new HealthCheckOptions
        {
            Predicate = registration => registration.Tags.Contains(HealthEndpoints.LiveTag),
            ResponseWriter = HealthEndpoints.WritePlainText,
        });

        return app;
    }

    private static bool IsHealthProbe(PathString path) =>
        path.StartsWithSegments(HealthEndpoints.HealthPath) || path.StartsWithSegments(HealthEndpoints.AlivePath);
}
