using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace RaftSpike.Experiments;

/// <summary>
/// The nodes of one experiment and the calls the driver makes to them. Every process it starts is
/// killed when it is disposed (and by <see cref="KillAll"/> on exit), SIGCONT first if stopped.
/// </summary>
public sealed class SpikeCluster : IDisposable
{
    public const int BasePort = 5101;
    private static readonly List<NodeProcess> s_everyNode = [];
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(4) };
    private readonly Dictionary<int, NodeProcess> _nodes = [];

    public SpikeCluster(string name, string? clusterKey)
    {
        Directory = Path.Combine(Path.GetTempPath(), "raft-spike-run", name);
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }

        System.IO.Directory.CreateDirectory(Directory);
        ClusterKey = clusterKey;
    }

    public string Directory { get; }

    public string? ClusterKey { get; }

    public IReadOnlyCollection<NodeProcess> Nodes => _nodes.Values;

    public static IReadOnlyList<int> Ports(int count) => Enumerable.Range(BasePort, count).ToArray();

    public static string Url(int port) => $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/";

    public static int PortOf(string url) => new Uri(url).Port;

    public NodeProcess Start(int port, IEnumerable<int> members, string? dataDir = null) =>
        Start(port, members.Select(p => p.ToString(CultureInfo.InvariantCulture)), dataDir, path: null, ClusterKey);

    public NodeProcess Start(int port, IEnumerable<string> members, string? dataDir, string? path, string? clusterKey, int? snapshotEvery = null, string extra = "")
    {
        dataDir ??= Path.Combine(Directory, $"data-{port}");
        var node = NodeProcess.Start(port, members, dataDir, Path.Combine(Directory, $"node-{port}.log"), clusterKey, path, snapshotEvery, extra);
        _nodes[port] = node;
        lock (s_everyNode)
        {
            s_everyNode.Add(node);
        }

        return node;
    }

    public NodeProcess this[int port] => _nodes[port];

    public async Task<int> StatusOfAsync(string url)
    {
        try
        {
            using var response = await _http.PostAsync(url, null);
            return (int)response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return 0;
        }
    }

    public async Task<NodeState?> StateAsync(int port)
    {
        try
        {
            return await _http.GetFromJsonAsync<NodeState>($"{Url(port)}spike/state", Json);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Polls until a majority of <paramref name="ports"/> name the same leader, which names
    /// itself leader too; null at the deadline.</summary>
    public async Task<int?> WaitForLeaderAsync(IReadOnlyList<int> ports, TimeSpan deadline, int majorityOf = 0)
    {
        int majority = (majorityOf == 0 ? ports.Count : majorityOf) / 2 + 1;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < deadline)
        {
            var states = await Task.WhenAll(ports.Select(StateAsync));
            var leader = states.Where(s => s is { IsLeader: true }).Select(s => s!.Self).FirstOrDefault();
            if (leader is not null && states.Count(s => s?.Leader == leader) >= majority)
            {
                return PortOf(leader);
            }

            await Task.Delay(20);
        }

        return null;
    }

    /// <summary>The node that currently calls itself leader (leadership can move between two steps).</summary>
    public async Task<int> LeaderNowAsync(IEnumerable<int> ports)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            var states = await Task.WhenAll(ports.Select(StateAsync));
            if (states.FirstOrDefault(s => s is { IsLeader: true }) is { } leader)
            {
                return PortOf(leader.Self);
            }

            await Task.Delay(20);
        }

        throw new InvalidOperationException("no leader within 20 s");
    }

    public async Task<ProposeResult> ProposeAsync(int port, string value)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            using var response = await _http.PostAsync($"{Url(port)}spike/propose", new StringContent(value));
            string body = await response.Content.ReadAsStringAsync();
            return new ProposeResult(response.IsSuccessStatusCode, (int)response.StatusCode, body, clock.Elapsed.TotalMilliseconds);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return new ProposeResult(false, 0, $"{e.GetType().Name}: {e.Message}", clock.Elapsed.TotalMilliseconds);
        }
    }

    /// <summary>Proposes to whichever of <paramref name="ports"/> is leader until one commits.</summary>
    public async Task<(int Port, ProposeResult Result)?> ProposeAnywhereAsync(IReadOnlyList<int> ports, string value, TimeSpan deadline)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < deadline)
        {
            foreach (int port in ports)
            {
                var state = await StateAsync(port);
                if (state is { IsLeader: true })
                {
                    var result = await ProposeAsync(port, value);
                    if (result.Ok)
                    {
                        return (port, result);
                    }
                }
            }

            await Task.Delay(20);
        }

        return null;
    }

    public async Task<string> ReadAsync(int port, bool barrier)
    {
        try
        {
            using var response = await _http.GetAsync($"{Url(port)}spike/read?barrier={(barrier ? "true" : "false")}");
            return $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return $"{e.GetType().Name}: {e.Message}";
        }
    }

    public Task<string> ChangeMembershipAsync(int leaderPort, string verb, int memberPort) =>
        ChangeMembershipAsync(leaderPort, verb, Url(memberPort));

    /// <summary>Asks the leader to change the membership; if leadership moved in between (it did,
    /// with 150-300 ms timeouts on a busy machine), asks the new leader, and says so.</summary>
    public async Task<string> ChangeMembershipAsync(int leaderPort, string verb, string memberUrl)
    {
        string answer = await ChangeMembershipOnceAsync(leaderPort, verb, memberUrl);
        var clock = Stopwatch.StartNew();
        while (answer.Contains("NotLeaderException", StringComparison.Ordinal) && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            int leader = await LeaderNowAsync(_nodes.Keys.ToArray());
            answer = $"{await ChangeMembershipOnceAsync(leader, verb, memberUrl)} (retried on :{leader}: leadership had moved)";
        }

        return answer;
    }

    private async Task<string> ChangeMembershipOnceAsync(int leaderPort, string verb, string memberUrl)
    {
        try
        {
            using var response = await _http.PostAsync($"{Url(leaderPort)}spike/members/{verb}?uri={Uri.EscapeDataString(memberUrl)}", null);
            return $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return $"{e.GetType().Name}: {e.Message}";
        }
    }

    /// <summary>Proposes to <paramref name="leaderPort"/>; if it is no longer leader, finds the new
    /// one among <paramref name="ports"/> and retries once. Returns the leader it ended on.</summary>
    public async Task<(ProposeResult Result, int Leader, bool Moved)> ProposeFollowingLeaderAsync(int leaderPort, IReadOnlyList<int> ports, string value)
    {
        var result = await ProposeAsync(leaderPort, value);
        if (result.Ok || !(result.Status == 421 || result.Body.Contains("NotLeaderException", StringComparison.Ordinal)))
        {
            return (result, leaderPort, false);
        }

        int leader = await LeaderNowAsync(ports);
        return (await ProposeAsync(leader, value), leader, true);
    }

    public async Task PrintStatesAsync(string title, IEnumerable<int> ports)
    {
        Console.WriteLine($"    {title}:");
        foreach (int port in ports)
        {
            var state = await StateAsync(port);
            Console.WriteLine($"      :{port} {(state is null ? "(no answer)" : state.ToString())}");
        }
    }

    /// <summary>Warnings and errors of every node's log, grouped by their message up to the first stack frame.</summary>
    public void PrintLogSummary(int top = 8)
    {
        foreach (var node in _nodes.Values.OrderBy(n => n.Port))
        {
            if (!File.Exists(node.LogPath))
            {
                continue;
            }

            var groups = File.ReadLines(node.LogPath)
                .Where(line => line.Contains(" warn: ", StringComparison.Ordinal) || line.Contains(" fail: ", StringComparison.Ordinal) || line.Contains(" crit: ", StringComparison.Ordinal))
                .Select(Shorten)
                .GroupBy(line => line)
                .OrderByDescending(g => g.Count())
                .Take(top)
                .ToList();
            Console.WriteLine($"    log {node.LogPath}: {groups.Sum(g => g.Count())} warn/fail lines in the top {groups.Count} kinds");
            foreach (var group in groups)
            {
                Console.WriteLine($"      {group.Count(),4} x {group.Key}");
            }
        }
    }

    private static string Shorten(string line)
    {
        // Drop the timestamp, cut at the first stack frame, replace numbers so similar lines group.
        string text = line.Length > 13 ? line[13..] : line;
        foreach (string cut in new[] { "    at ", " ---> " })
        {
            int at = text.IndexOf(cut, StringComparison.Ordinal);
            if (at > 0)
            {
                text = text[..at];
            }
        }

        text = text.Replace("DotNext.Net.Cluster.Consensus.Raft.Http.", string.Empty, StringComparison.Ordinal);

        text = System.Text.RegularExpressions.Regex.Replace(text, @"\b\d+\b", "N");
        return text.Length > 220 ? text[..220] + "…" : text;
    }

    public void Dispose()
    {
        foreach (var node in _nodes.Values)
        {
            node.Kill();
        }

        _http.Dispose();
    }

    public static void KillAll()
    {
        lock (s_everyNode)
        {
            foreach (var node in s_everyNode)
            {
                node.Kill();
            }
        }
    }
}

public sealed record ProposeResult(bool Ok, int Status, string Body, double ClientMs);
