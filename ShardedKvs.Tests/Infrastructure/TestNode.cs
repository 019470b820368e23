using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ShardedKvs.Node;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Storage;

namespace ShardedKvs.Tests.Infrastructure;

/// <summary>One real node: Kestrel on a loopback port, the node's full composition.</summary>
public sealed class TestNode : IAsyncDisposable
{
    private WebApplication? _app;
    private FileLoggerProvider? _log;

    public TestNode(string address, string view, string clusterKey, IDictionary<string, string?>? settings, Action<WebApplicationBuilder>? configure)
    {
        Address = address;
        var config = new Dictionary<string, string?>
        {
            ["ADDRESS"] = address,
            ["VIEW"] = view,
            ["CLUSTER_KEY"] = clusterKey,
            ["urls"] = $"http://{address}",
            ["Logging:LogLevel:Default"] = FileLoggerProvider.Folder is null ? "Warning" : "Information",
        };
        if (FileLoggerProvider.Folder is not null)
        {
            config["Logging:LogLevel:ShardedKvs"] = "Debug";
            config["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning";
        }

        foreach ((string key, string? value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }

        _app = NodeApp.Create([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(config);
            // KVS_NODE_LOGS=<folder> keeps every node's log (ShardedKvs at Debug) for debugging a failed run.
            if (FileLoggerProvider.Folder is { } folder)
            {
                builder.Logging.ClearProviders();
                _log = new FileLoggerProvider(Path.Combine(folder, $"{address.Replace(':', '_')}-{DateTime.UtcNow:HHmmss.fff}.log"));
                builder.Logging.AddProvider(_log);
            }

            configure?.Invoke(builder);
        });
        Client = new HttpClient { BaseAddress = new Uri($"http://{address}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public string Address { get; }

    /// <summary>A client for this node's public API.</summary>
    public HttpClient Client { get; }

    public bool IsRunning => _app is not null;

    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException($"{Address} is stopped");

    public ClusterSnapshot Snapshot => Services.GetRequiredService<ClusterState>().Snapshot;

    public KeyValueStore Store => Services.GetRequiredService<KeyValueStore>();

    public Task StartAsync() => _app!.StartAsync();

    /// <summary>Stops the node for good: its port closes and its keys are gone.</summary>
    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync(TimeSpan.FromSeconds(5));
            await app.DisposeAsync();
        }

        _log?.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Client.Dispose();
    }
}
