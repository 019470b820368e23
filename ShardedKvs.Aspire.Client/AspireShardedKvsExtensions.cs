using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using ShardedKvs.Aspire.Client;
using ShardedKvs.Client;

// In Microsoft.Extensions.Hosting, like the other Aspire client integrations.
namespace Microsoft.Extensions.Hosting;

/// <summary>Registers a <see cref="ShardedKvsClient"/> in an Aspire app.</summary>
public static class AspireShardedKvsExtensions
{
    /// <summary>The configuration section the settings and the client options bind from.</summary>
    public const string DefaultConfigSectionName = "Aspire:ShardedKvs:Client";

    /// <summary>
    /// Registers a singleton <see cref="ShardedKvsClient"/> for the cluster named by
    /// <c>ConnectionStrings:{connectionName}</c> (what <c>WithReference(kvs)</c> sets in the AppHost),
    /// with a health check, tracing and metrics unless the settings disable them.
    /// </summary>
    /// <param name="builder">The app's builder.</param>
    /// <param name="connectionName">Name of the connection string (the AppHost's resource name, e.g. "kvs").</param>
    /// <param name="configureSettings">Changes the settings after configuration is bound.</param>
    /// <param name="configureOptions">Changes the client's options (timeouts, attempts) after configuration is bound.</param>
    public static void AddShardedKvsClient(
        this IHostApplicationBuilder builder,
        string connectionName,
        Action<ShardedKvsClientSettings>? configureSettings = null,
        Action<ShardedKvsClientOptions>? configureOptions = null) =>
        AddClient(builder, connectionName, serviceKey: null, configureSettings, configureOptions);

    /// <summary>
    /// Like <see cref="AddShardedKvsClient"/>, registered as a keyed service under <paramref name="name"/>
    /// (inject with <c>[FromKeyedServices("name")]</c>), for apps that use several clusters.
    /// </summary>
    public static void AddKeyedShardedKvsClient(
        this IHostApplicationBuilder builder,
        string name,
        Action<ShardedKvsClientSettings>? configureSettings = null,
        Action<ShardedKvsClientOptions>? configureOptions = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        AddClient(builder, name, serviceKey: name, configureSettings, configureOptions);
    }

    private static void AddClient(
        IHostApplicationBuilder builder,
        string connectionName,
        string? serviceKey,
        Action<ShardedKvsClientSettings>? configureSettings,
        Action<ShardedKvsClientOptions>? configureOptions)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(connectionName);

        IConfigurationSection section = builder.Configuration.GetSection(DefaultConfigSectionName);
        IConfigurationSection named = section.GetSection(connectionName);

        var settings = new ShardedKvsClientSettings();
        section.Bind(settings);
        named.Bind(settings);
        if (builder.Configuration.GetConnectionString(connectionName) is { } connectionString)
        {
            settings.ConnectionString = connectionString;
        }

        configureSettings?.Invoke(settings);

        var options = new ShardedKvsClientOptions();
        section.Bind(options);
        named.Bind(options);
        if (options.Endpoints.Count == 0 && settings.ConnectionString is { } text)
        {
            foreach (string endpoint in ShardedKvsConnectionString.ParseEndpoints(text))
            {
                options.Endpoints.Add(endpoint);
            }
        }

        configureOptions?.Invoke(options);
        if (options.Endpoints.Count == 0)
        {
            throw new InvalidOperationException(
                $"ShardedKvs client '{connectionName}': no endpoints. Set ConnectionStrings:{connectionName} (\"Endpoints=host:port,...\"; " +
                $"the AppHost's WithReference does it) or the '{DefaultConfigSectionName}' section.");
        }

        options.Validate();
        ShardedKvsClient Create(IServiceProvider services) => new(
            options, handler: null, services.GetService<TimeProvider>() ?? TimeProvider.System, services.GetService<ILogger<ShardedKvsClient>>());

        if (serviceKey is null)
        {
            builder.Services.AddSingleton(Create);
        }
        else
        {
            builder.Services.AddKeyedSingleton(serviceKey, (services, _) => Create(services));
        }

        if (!settings.DisableHealthChecks)
        {
            string checkName = serviceKey is null ? "ShardedKvs" : $"ShardedKvs_{connectionName}";
            builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
                checkName,
                services => new ShardedKvsClientHealthCheck(serviceKey is null
                    ? services.GetRequiredService<ShardedKvsClient>()
                    : services.GetRequiredKeyedService<ShardedKvsClient>(serviceKey)),
                failureStatus: null,
                tags: null,
                timeout: settings.HealthCheckTimeout));
        }

        if (!settings.DisableTracing)
        {
            builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddSource(ShardedKvsClientTelemetry.Name));
        }

        if (!settings.DisableMetrics)
        {
            builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(ShardedKvsClientTelemetry.Name));
        }
    }
}
