using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.EndToEnd;

/// <summary>
/// One running AppHost (four nodes, the first three in the view) shared by the tests of one class.
/// Each fixture type gets its own base port, so classes never collide with each other or with a
/// cluster a developer runs on the default ports (13801...). Every node's console log is copied to
/// bin/.../e2e-logs/{port}/node-i.log for diagnosing a failure.
/// </summary>
public abstract class KvsClusterFixture(int basePort) : IAsyncLifetime, IDisposable
{
    public const int NodeCount = 4;
    public const int ViewSize = 3;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _logCopies = [];
    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The AppHost has not started.");

    /// <summary>Where this fixture's node logs go.</summary>
    public string LogDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "e2e-logs", basePort.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static string NodeName(int node) => $"node-{node}";

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        var ct = timeout.Token;

        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.ShardedKvs_AppHost>(
            [
                $"--Kvs:BasePort={basePort}", $"--Kvs:Nodes={NodeCount}", $"--Kvs:InitialViewSize={ViewSize}",
                // Plain HttpClients: the testing builder's default resilience handler would retry
                // PUTs and 503s and hide what the nodes really answer.
                "--ASPIRE_TESTING_DISABLE_HTTP_CLIENT=true",
            ], ct);

        // Node output goes to the log files; the test run's console keeps only what went wrong.
        // (Failed health probes are normal while the nodes start.)
        builder.Services.AddLogging(logging => logging
            .AddFilter("ShardedKvs.AppHost.Resources", LogLevel.Warning)
            .AddFilter("System.Net.Http.HttpClient", LogLevel.Warning)
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.Critical));
        Configure(builder);
        _app = await builder.BuildAsync(ct);

        try
        {
            await App.StartAsync(ct);
            CopyNodeLogs(); // after start: a resource's log stream is known by its DCP instance name
            for (var node = 1; node <= ViewSize; node++)
            {
                await App.ResourceNotifications.WaitForResourceHealthyAsync(NodeName(node), ct);
            }

            for (var node = ViewSize + 1; node <= NodeCount; node++)
            {
                await App.ResourceNotifications.WaitForResourceAsync(NodeName(node), KnownResourceStates.Running, ct);
                var client = Client(node);
                await Eventually.Until($"{NodeName(node)} to answer GET /kvs/view", StartTimeout,
                    token => client.GetViewAsync(token), answer => answer.Status != 0);
            }
        }
        catch (Exception e)
        {
            await DisposeAsync();
            throw new InvalidOperationException(
                $"The cluster on port {basePort} was not ready within {StartTimeout}; node logs in {LogDirectory}", e);
        }
    }

    /// <summary>Changes the app model before it is built; the default leaves the AppHost as it is.</summary>
    protected virtual void Configure(IDistributedApplicationTestingBuilder builder)
    {
    }

    /// <summary>An HttpClient for node-<paramref name="node"/> (1-based).</summary>
    public HttpClient Client(int node) => App.CreateHttpClient(NodeName(node), "http");

    /// <summary>An HttpClient for the sample app, once the AppHost reports it healthy (it waits for the cluster).</summary>
    public async Task<HttpClient> SampleApiAsync(CancellationToken ct)
    {
        await App.ResourceNotifications.WaitForResourceHealthyAsync("sample-api", ct);
        return App.CreateHttpClient("sample-api", "http");
    }

    /// <summary>The address of node-<paramref name="node"/> as it appears in views: host:port.</summary>
    public string AddressOf(int node)
    {
        var endpoint = App.GetEndpoint(NodeName(node), "http");
        return $"{endpoint.Host}:{endpoint.Port}";
    }

    /// <summary>The admin key, read from the "admin-key" parameter of the running app model.</summary>
    public async Task<string> AdminKeyAsync(CancellationToken ct)
    {
        var model = App.Services.GetRequiredService<DistributedApplicationModel>();
        var parameter = model.Resources.OfType<ParameterResource>().Single(p => p.Name == "admin-key");
        return await parameter.GetValueAsync(ct) ?? throw new InvalidOperationException("admin-key has no value");
    }

    /// <summary>Runs a resource command as the dashboard would.</summary>
    public Task<ExecuteCommandResult> ExecuteCommandAsync(string resource, string command, CancellationToken ct) =>
        App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(resource, command, ct);

    public async Task DisposeAsync()
    {
        if (_app is null)
        {
            return;
        }

        await _stopping.CancelAsync();
        await _app.DisposeAsync();
        _app = null;
        await Task.WhenAll(_logCopies).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    public void Dispose()
    {
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }

    private void CopyNodeLogs()
    {
        Directory.CreateDirectory(LogDirectory);
        var logs = App.Services.GetRequiredService<ResourceLoggerService>();
        var model = App.Services.GetRequiredService<DistributedApplicationModel>();
        for (var node = 1; node <= NodeCount; node++)
        {
            var path = Path.Combine(LogDirectory, $"{NodeName(node)}.log");
            var resource = model.Resources.Single(r => r.Name == NodeName(node));
            _logCopies.Add(Task.Run(async () =>
            {
                await using var file = new StreamWriter(path, append: false) { AutoFlush = true };
                await foreach (var batch in logs.WatchAsync(resource).WithCancellation(_stopping.Token))
                {
                    foreach (var line in batch)
                    {
                        await file.WriteLineAsync(line.Content);
                    }
                }
            }));
        }
    }
}

/// <summary>Cluster for <see cref="ClusterBasicsTests"/>.</summary>
public sealed class ClusterBasicsFixture() : KvsClusterFixture(23801);

/// <summary>Cluster for <see cref="ViewChangeTests"/>.</summary>
public sealed class ViewChangeFixture() : KvsClusterFixture(23811);

/// <summary>Cluster for <see cref="DashboardCommandTests"/>.</summary>
public sealed class DashboardCommandFixture() : KvsClusterFixture(23821);

/// <summary>Cluster and sample app for <see cref="SampleAppTests"/>.</summary>
public sealed class SampleAppFixture() : KvsClusterFixture(23831);

/// <summary>
/// Cluster for <see cref="ForceExclusionCommandTests"/>, whose nodes export no telemetry: the tests run
/// no dashboard, so nothing collects it, and a node's exporter then holds its shutdown for about 15 s,
/// longer than the orchestrator waits for a stopped process before it reports the stop failed.
/// </summary>
public sealed class ForceExclusionCommandFixture() : KvsClusterFixture(23841)
{
    protected override void Configure(IDistributedApplicationTestingBuilder builder)
    {
        for (var node = 1; node <= NodeCount; node++)
        {
            var resource = builder.Resources.OfType<ProjectResource>().Single(r => r.Name == NodeName(node));
            builder.CreateResourceBuilder(resource)
                .WithEnvironment(context => context.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_ENDPOINT"));
        }
    }
}
