using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Deployment;

/// <summary>
/// Published nodes on hosts of their own: host i is network namespace i of <see cref="NetworkNamespaces"/>,
/// with its own IP and the same port 13800 as every other host. Each node is started the way the
/// image starts it: its entrypoint, an environment holding only what a deployment sets (ADDRESS,
/// VIEW, CLUSTER_KEY, ADMIN_KEY), and no URLs, so it binds the port of its ADDRESS by itself.
/// </summary>
public sealed class HostCluster : IAsyncDisposable
{
    public const int Port = 13800;
    public const string ClusterKey = "multi-host-cluster-key-0123456789";
    public const string AdminKey = "multi-host-admin-key-0123456789";

    private readonly NetworkNamespaces _network;
    private readonly string _executable;
    private readonly Process?[] _nodes;
    private readonly ConcurrentQueue<string>[] _logs;

    public HostCluster(NetworkNamespaces network, string executable, int hosts)
    {
        _network = network;
        _executable = executable;
        _nodes = new Process?[hosts];
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

    public string AddressOf(int host) => $"{_network.AddressOf(host)}:{Port}";

    public string ViewOf(params int[] hosts) => string.Join(',', hosts.Select(AddressOf));

    /// <summary>
    /// Starts the node of <paramref name="host"/> with the initial view <paramref name="view"/> and
    /// the ADDRESS <paramref name="address"/> (by default its IP and port; a name must resolve on every host).
    /// </summary>
    public void Start(int host, string view, string? address = null)
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
        start.Environment["ADDRESS"] = address ?? AddressOf(host);
        start.Environment["VIEW"] = view;
        start.Environment["CLUSTER_KEY"] = ClusterKey;
        start.Environment["ADMIN_KEY"] = AdminKey;
        start.Environment["Logging__LogLevel__Default"] = "Warning";

        Process node = Process.Start(start)!;
        node.OutputDataReceived += (_, line) => Keep(host, line.Data);
        node.ErrorDataReceived += (_, line) => Keep(host, line.Data);
        node.BeginOutputReadLine();
        node.BeginErrorReadLine();
        _nodes[host] = node;
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

    public ValueTask DisposeAsync() => NodeProcesses.StopAllAsync(_nodes, Clients);

    private void Keep(int host, string? line)
    {
        if (line is null)
        {
            return;
        }

        _logs[host].Enqueue(line);
        while (_logs[host].Count > 200 && _logs[host].TryDequeue(out _))
        {
        }
    }
}
