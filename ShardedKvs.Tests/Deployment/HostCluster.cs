using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Deployment;

/// <summary>
/// Published nodes on hosts of their own: host i is network namespace i of <see cref="NetworkNamespaces"/>,
/// with its own IP and the same port 13800 as every other host. Each node is started the way the
/// image starts it: its entrypoint, an environment holding only what a deployment sets (ADDRESS,
/// VIEW, CLUSTER_KEY, ADMIN_KEY, Kvs__ReplicationFactor), and no URLs, so it binds the port of its
/// ADDRESS by itself.
/// </summary>
public sealed class HostCluster : IRunningNodes, IAsyncDisposable
{
    public const int Port = 13800;
    public const string ClusterKey = "multi-host-cluster-key-0123456789";
    public const string AdminKey = "multi-host-admin-key-0123456789";

    private readonly NetworkNamespaces _network;
    private readonly string _executable;
    private readonly Process?[] _nodes;
    private readonly ConcurrentQueue<string>[] _logs;
    private readonly Dictionary<string, string>?[] _environments;
    private readonly ConcurrentBag<StreamWriter> _logFiles = [];
    private readonly int _replicationFactor;

    /// <param name="replicationFactor">Every node's Kvs__ReplicationFactor, always set explicitly, so
    /// a test never depends on the node's default.</param>
    public HostCluster(NetworkNamespaces network, string executable, int hosts, int replicationFactor)
    {
        _network = network;
        _executable = executable;
        _replicationFactor = replicationFactor;
        _nodes = new Process?[hosts];
        _environments = new Dictionary<string, string>?[hosts];
        _logs = [.. Enumerable.Range(0, hosts).Select(_ => new ConcurrentQueue<string>())];
        Clients = [.. Enumerable.Range(0, hosts).Select(host => new HttpClient
        {
            BaseAddress = new Uri($"http://{AddressOf(host)}"),
            Timeout = TimeSpan.FromSeconds(60),
            DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", AdminKey) },
        })];
    }

    /// <summary>One client per host; it sends the admin key, as an operator's client would.</summary>
    public HttpClient[] Clients { get; }

    /// <summary>Every host's address (its IP and port 13800), host i at index i.</summary>
    string IRunningNodes.ClusterKey => ClusterKey;

    public string[] Addresses => [.. Enumerable.Range(0, _nodes.Length).Select(AddressOf)];

    public string AddressOf(int host) => $"{_network.AddressOf(host)}:{Port}";

    public string ViewOf(params int[] hosts) => string.Join(',', hosts.Select(AddressOf));

    /// <summary>
    /// Starts the node of <paramref name="host"/> with the initial view <paramref name="view"/> and
    /// the ADDRESS <paramref name="address"/> (by default its IP and port; a name must resolve on every host).
    /// </summary>
    public void Start(int host, string view, string? address = null) =>
        Start(host, new Dictionary<string, string>
        {
            ["ADDRESS"] = address ?? AddressOf(host),
            ["VIEW"] = view,
            ["CLUSTER_KEY"] = ClusterKey,
            ["ADMIN_KEY"] = AdminKey,
            ["Kvs__ReplicationFactor"] = _replicationFactor.ToString(CultureInfo.InvariantCulture),
        });

    /// <summary>
    /// Starts the node of <paramref name="host"/> with exactly <paramref name="environment"/> (a pod's
    /// expanded environment, say), plus PATH, the Production environment and quiet logs. The cluster's
    /// replication factor is added when the environment does not set one.
    /// </summary>
    public void Start(int host, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("ip", ["netns", "exec", _network.NamespaceOf(host), _executable])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Kvs__ReplicationFactor"] = _replicationFactor.ToString(CultureInfo.InvariantCulture);
        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        // KVS_NODE_LOGS=<folder> keeps every node's whole log, at Information, for debugging a failed run.
        StreamWriter? file = null;
        if (Environment.GetEnvironmentVariable("KVS_NODE_LOGS") is { Length: > 0 } folder)
        {
            start.Environment["Logging__LogLevel__Default"] = "Information";
            file = new StreamWriter(Path.Combine(folder, $"host{host}-{DateTime.UtcNow:HHmmss.fff}.log")) { AutoFlush = true };
            _logFiles.Add(file);
        }

        Process node = Process.Start(start)!;
        node.OutputDataReceived += (_, line) => Keep(host, line.Data, file);
        node.ErrorDataReceived += (_, line) => Keep(host, line.Data, file);
        node.BeginOutputReadLine();
        node.BeginErrorReadLine();
        _nodes[host] = node;
        _environments[host] = new Dictionary<string, string>(environment);
    }

    /// <summary>SIGKILL of the node's process; its host (namespace and address) stays.</summary>
    public void Kill(int index)
    {
        Process node = _nodes[index] ?? throw new InvalidOperationException($"host {index} runs no node");
        node.Kill(entireProcessTree: true);
        node.WaitForExit();
        node.Dispose();
        _nodes[index] = null;
    }

    /// <summary>A new process on the host of a node that was killed, with the environment it started with.</summary>
    public void Restart(int index)
    {
        if (_nodes[index] is not null || _environments[index] is not { } environment)
        {
            throw new InvalidOperationException($"host {index} is running, or never ran a node");
        }

        Start(index, environment);
    }

    /// <summary>
    /// Takes the host away for good, as when its machine dies: every process in its namespace is
    /// killed and the namespace is deleted with its interface, so its address stops answering at all.
    /// </summary>
    public void TearDown(int host)
    {
        _network.TearDown(host);
        _nodes[host]?.Dispose();
        _nodes[host] = null;
        _environments[host] = null;
    }

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

    /// <summary>GET a path on a host: status and body text, or null while nothing answers.</summary>
    public async Task<(int Status, string Body)?> ProbeAsync(int host, string path)
    {
        try
        {
            using HttpResponseMessage response = await Clients[host].GetAsync(path);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>Waits until <paramref name="path"/> on <paramref name="host"/> answers <paramref name="status"/>.</summary>
    public Task WaitForAsync(int host, string path, int status) =>
        Eventually.Until($"{path} on host {host} ({AddressOf(host)}) to answer {status}; its log:\n{LogOf(host)}",
            TimeSpan.FromSeconds(60), _ => ProbeAsync(host, path), answer => answer?.Status == status);

    public string LogOf(int host) => string.Join('\n', _logs[host].TakeLast(40));

    public async ValueTask DisposeAsync()
    {
        await NodeProcesses.StopAllAsync(_nodes, Clients);
        foreach (StreamWriter file in _logFiles)
        {
            lock (file)
            {
                file.Dispose();
            }
        }
    }

    private void Keep(int host, string? line, StreamWriter? file)
    {
        if (line is null)
        {
            return;
        }

        if (file is not null)
        {
            lock (file)
            {
                try
                {
                    file.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {line}");
                }
                catch (ObjectDisposedException)
                {
                    // a last line from a torn-down host after the cluster was disposed
                }
            }
        }

        _logs[host].Enqueue(line);
        while (_logs[host].Count > 200 && _logs[host].TryDequeue(out _))
        {
        }
    }
}
