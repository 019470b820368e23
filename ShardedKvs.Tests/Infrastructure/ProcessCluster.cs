using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace ShardedKvs.Tests.Infrastructure;

/// <summary>
/// Nodes as real processes (`dotnet ShardedKvs.Node.dll`) on loopback ports, for tests that need a
/// node to die the way a production node dies: SIGKILL, no shutdown, memory gone.
/// </summary>
public sealed class ProcessCluster : IRunningNodes, IAsyncDisposable
{
    private readonly Process?[] _processes;
    private readonly Func<int, Process> _start;

    private ProcessCluster(string[] addresses, Process?[] processes, Func<int, Process> start)
    {
        Addresses = addresses;
        _processes = processes;
        _start = start;
        Clients = addresses.Select(a => new HttpClient { BaseAddress = new Uri($"http://{a}"), Timeout = TimeSpan.FromSeconds(60) }).ToArray();
    }

    public string[] Addresses { get; }

    public string ClusterKey => TestCluster.ClusterKey;

    public HttpClient[] Clients { get; }

    public static Task<ProcessCluster> StartAsync(int nodes, int initialViewSize, IDictionary<string, string> settings) =>
        StartAsync(FreePorts.Take(nodes).Select(p => $"127.0.0.1:{p}").ToArray(), initialViewSize, settings, namespaceOf: null);

    /// <summary>One node per host of <paramref name="network"/>, each in its namespace, listening on
    /// <paramref name="port"/> at its host's address.</summary>
    public static Task<ProcessCluster> StartInAsync(NetworkNamespaces network, int hosts, int port, int initialViewSize, IDictionary<string, string> settings) =>
        StartAsync([.. Enumerable.Range(0, hosts).Select(h => $"{network.AddressOf(h)}:{port}")], initialViewSize, settings, network.NamespaceOf);

    /// <param name="namespaceOf">For hosts in network namespaces: the namespace node i runs in.</param>
    public static async Task<ProcessCluster> StartAsync(string[] addresses, int initialViewSize, IDictionary<string, string> settings, Func<int, string>? namespaceOf)
    {
        string view = string.Join(',', addresses.Take(initialViewSize));
        string nodeDll = Path.Combine(AppContext.BaseDirectory, "ShardedKvs.Node.dll");
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        Process Start(int index)
        {
            string address = addresses[index];
            var start = namespaceOf is null
                ? new ProcessStartInfo(dotnet, [nodeDll])
                : new ProcessStartInfo("ip", ["netns", "exec", namespaceOf(index), dotnet, nodeDll]);
            start.RedirectStandardOutput = true;
            start.RedirectStandardError = true;
            start.UseShellExecute = false;
            start.Environment["ADDRESS"] = address;
            start.Environment["VIEW"] = view;
            start.Environment["CLUSTER_KEY"] = TestCluster.ClusterKey;
            start.Environment["ASPNETCORE_URLS"] = $"http://{address}";
            start.Environment["Logging__LogLevel__Default"] = Environment.GetEnvironmentVariable("KVS_NODE_LOGS") is { Length: > 0 } ? "Information" : "Warning";
            start.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
            foreach ((string key, string value) in settings)
            {
                start.Environment[key] = value;
            }

            Process process = Process.Start(start)!;
            // KVS_NODE_LOGS=<folder> keeps every node's log (at Information) for debugging a failed run.
            if (Environment.GetEnvironmentVariable("KVS_NODE_LOGS") is { Length: > 0 } folder)
            {
                var log = new StreamWriter(Path.Combine(folder, $"{address.Replace(':', '_')}-{process.Id}.log")) { AutoFlush = true };
                process.OutputDataReceived += (_, line) =>
                {
                    lock (log)
                    {
                        log.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {line.Data}");
                    }
                };
            }
            else
            {
                process.OutputDataReceived += (_, _) => { };
            }
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return process;
        }

        Process?[] processes = [.. addresses.Select((_, index) => Start(index))];
        var cluster = new ProcessCluster(addresses, processes, Start);
        try
        {
            // The nodes outside the initial view must be up too: a view change naming one that has not
            // started listening yet is refused at once ("unreachable; nothing was changed"), and on a
            // loaded machine one process can start seconds after the others: the likely cause of a CI
            // run in which LossyNetworkTests waited 60 s for the fill of its view change.
            await Eventually.WaitUntilAsync(
                async () =>
                {
                    string?[] states = await Task.WhenAll(Enumerable.Range(0, addresses.Length).Select(cluster.StateAsync));
                    return states.Take(initialViewSize).All(s => s == "serving") && states.All(s => s is not null);
                },
                TimeSpan.FromSeconds(60),
                "every process to answer and the initial view to serve");
        }
        catch
        {
            await cluster.DisposeAsync(); // no process outlives a test that could not start them
            throw;
        }

        return cluster;
    }

    public string ViewOf(params int[] indexes) => string.Join(',', indexes.Select(i => Addresses[i]));

    /// <summary>SIGKILL: the node gets no chance to finish anything.</summary>
    public void Kill(int index)
    {
        Process process = _processes[index] ?? throw new InvalidOperationException($"node {index} is already dead");
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
        process.Dispose();
        _processes[index] = null;
    }

    /// <summary>Starts a new process for a node that was killed: same address and settings, empty memory.</summary>
    public void Restart(int index)
    {
        if (_processes[index] is not null)
        {
            throw new InvalidOperationException($"node {index} is still running");
        }

        _processes[index] = _start(index);
    }

    public bool IsRunning(int index) => _processes[index] is not null;

    public async Task<JsonObject?> ViewAsync(int index)
    {
        try
        {
            return await Clients[index].GetFromJsonAsync<JsonObject>("/kvs/view");
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    public async Task<string?> StateAsync(int index) => (await ViewAsync(index))?["state"]?.GetValue<string>();

    public ValueTask DisposeAsync() => NodeProcesses.StopAllAsync(_processes, Clients);
}
