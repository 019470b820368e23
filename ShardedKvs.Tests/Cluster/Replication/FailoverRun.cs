using System.Diagnostics;
using System.Text.Json.Nodes;
using ShardedKvs.Linearizability;
using ShardedKvs.Ring;
using ShardedKvs.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ShardedKvs.Tests.Cluster.Replication;

/// <summary>One workload over a process cluster, and the steps failover tests take on it.</summary>
/// <param name="operationsBetweenSteps">Client operations to let happen after each step (fewer when
/// some requests wait out their deadline on a node that is cut off).</param>
/// <param name="seed">Seeds the clients' choices of keys, operations and nodes (0 keeps the fixed choices).</param>
/// <param name="overlappingFaults">A second node may be taken down before the first one's keys are
/// copied again: a key both backed is then left with one in-sync copy, and its writes are refused
/// (nothing written) until a fill ends. Any failure of a key a victim was a replica of is then
/// reported, not failed; keys no victim held must still never fail.</param>
public sealed class FailoverRun(IRunningNodes cluster, ITestOutputHelper output, int keys, int operationsBetweenSteps = 1500, int seed = 0, bool overlappingFaults = false) : IDisposable
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(60);

    private readonly bool[] _down = new bool[cluster.Addresses.Length];
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<int> _killed = [];
    private readonly HashSet<int> _cutOff = [];
    private readonly HashSet<int> _stillCutOff = [];
    private readonly HashSet<string> _keysOfVictims = [];
    private readonly HashSet<string> _keysBackedByVictims = [];
    private ClusterWorkload? _workload;
    private Task? _clients;

    private ClusterWorkload Workload => _workload!;

    public async Task StartAsync()
    {
        _workload = new ClusterWorkload(cluster.Clients, i => !Volatile.Read(ref _down[i]), keys, seed: seed);
        await Workload.PreloadAsync();
        _clients = Workload.RunAsync(_stop.Token);
        await OperationsAsync(operationsBetweenSteps);
    }

    /// <summary>SIGKILLs <paramref name="victim"/> (its keys noted under <paramref name="views"/>, see
    /// <see cref="NoteKeysOf"/>) and waits until the survivors exclude it.</summary>
    public Task KillAndWaitForExclusionAsync(int victim, params int[][] views) =>
        TakeDownAndWaitForExclusionAsync(victim, "killed", () => cluster.Kill(victim), views);

    /// <summary>Takes <paramref name="victim"/> away for good with <paramref name="takeDown"/> (a SIGKILL,
    /// its host torn down), after the clients stop choosing it, and waits until the survivors exclude it.</summary>
    public Task TakeDownAndWaitForExclusionAsync(int victim, string what, Action takeDown, params int[][] views)
    {
        NoteKeysOf(victim, cutOff: false, views);
        Volatile.Write(ref _down[victim], true);
        takeDown();
        return WaitForExclusionAsync(victim, what);
    }

    /// <summary>The keys <paramref name="victim"/> is primary for now: the first member clockwise on the
    /// ring from the key that has not died before. Only these may see failed requests when it dies;
    /// the keys of which it is one of the first three such members, its backups, only writes whose
    /// outcome is unknown. While a view change runs, pass both its views (<paramref name="views"/>, node
    /// indexes): the keys it leads or backs in either count.</summary>
    public void NoteKeysOf(int victim, bool cutOff = false, params int[][] views)
    {
        if (cutOff)
        {
            _cutOff.Add(victim);
            _stillCutOff.Add(victim);
        }

        int[][] rings = views.Length > 0 ? views : [[.. Enumerable.Range(0, cluster.Addresses.Length)]];
        foreach (int[] view in rings)
        {
            // Every member in clockwise order: with members dead, a key's replicas are the first three live ones.
            var ring = new TokenRing([.. view.Select(i => cluster.Addresses[i])], replicationFactor: view.Length);
            for (int i = 0; i < keys; i++)
            {
                string key = ClusterWorkload.KeyName(i);
                string[] live = [.. ring.ReplicasOf(key).Where(a => !_killed.Any(k => cluster.Addresses[k] == a)).Take(3)];
                if (live.Length == 0)
                {
                    continue;
                }

                if (live[0] == cluster.Addresses[victim])
                {
                    _keysOfVictims.Add(key);
                }
                else if (live.Contains(cluster.Addresses[victim]))
                {
                    _keysBackedByVictims.Add(key);
                }
            }
        }

        _killed.Add(victim);
    }

    /// <summary>Waits until a live node shows a fill under way. A <paramref name="change"/> that
    /// answers first never started one: the step fails with its answer, and a wait that times out
    /// says what each node's view held.</summary>
    public async Task WaitForFillAsync(Task<KvsResponse> change)
    {
        try
        {
            await Eventually.WaitUntilAsync(
                async () => change.IsCompleted || (await LiveViewsAsync()).Any(view => view["fill"] is not null),
                Bounded,
                "a fill to be under way");
        }
        catch (TimeoutException timeout)
        {
            string views = await DescribeLiveNodesAsync();
            throw new TimeoutException($"{timeout.Message}; the nodes' views:\n{views}", timeout);
        }

        if (change.IsCompleted)
        {
            throw new InvalidOperationException($"The view change answered before any node showed its fill: {await change}");
        }
    }

    /// <summary>Waits until every node that is up, not cut off and not <paramref name="victim"/> shows it excluded.</summary>
    public async Task WaitForExclusionAsync(int victim, string what)
    {
        TimeSpan killedAt = _clock.Elapsed;
        string address = cluster.Addresses[victim];
        try
        {
            await Eventually.WaitUntilAsync(
                async () => (await LiveViewsAsync(except: victim, cutOffToo: false)).All(view => MemberState(view, address) is "excluded" or "learner" or null),
                Bounded,
                $"the survivors to exclude {address}");
        }
        catch (TimeoutException timeout)
        {
            // Say what each survivor's configuration holds, so a failed run shows who did not decide.
            string views = await DescribeLiveNodesAsync(except: victim, cutOffToo: false);
            throw new TimeoutException($"{timeout.Message}; the survivors' views:\n{views}", timeout);
        }

        output.WriteLine($"{address} {what} at {killedAt.TotalSeconds:F1} s; excluded by every survivor {(_clock.Elapsed - killedAt).TotalMilliseconds:F0} ms later");
        await OperationsAsync(operationsBetweenSteps);
    }

    /// <summary>Starts a new, empty process for a killed node. Once it has rejoined it is a primary
    /// again, so a later victim's keys are counted as if it had never died.</summary>
    public void Restart(int index)
    {
        cluster.Restart(index);
        _killed.Remove(index);
        Volatile.Write(ref _down[index], false);
        output.WriteLine($"{cluster.Addresses[index]} restarted at {_clock.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>Waits until every live node runs a configuration without a fill, in which every
    /// node that is up is a serving (in-sync) member.</summary>
    public async Task WaitForReplicationAsync(int expectedNodes)
    {
        TimeSpan started = _clock.Elapsed;
        await Eventually.WaitUntilAsync(
            async () =>
            {
                JsonObject[] views = await LiveViewsAsync();
                return views.Length == expectedNodes
                    && views.All(v => v["fill"] is null && v["state"]?.GetValue<string>() == "serving")
                    && views.Select(v => v["epoch"]!.GetValue<long>()).Distinct().Count() == 1
                    && views.All(v => Enumerable.Range(0, _down.Length).Where(i => !Volatile.Read(ref _down[i])).All(i => MemberState(v, cluster.Addresses[i]) == "serving"));
            },
            Bounded,
            "re-replication to finish on every live node");
        output.WriteLine($"re-replication done {(_clock.Elapsed - started).TotalMilliseconds:F0} ms after it was awaited");
        await OperationsAsync(operationsBetweenSteps);
    }

    public async Task FinishAsync(int expectedNodes)
    {
        await _stop.CancelAsync();
        await _clients!;
        await Workload.ReadEverythingAsync(Bounded);
        IReadOnlyList<Operation> history = Workload.History.GetHistory();
        CheckResult check = LinearizabilityChecker.Check(history);

        IReadOnlyDictionary<string, TimeSpan> unavailable = Workload.Unavailable;
        output.WriteLine($"{history.Count} operations by 12 clients on {keys} keys; {Workload.Failures.Count} failed requests");
        output.WriteLine(unavailable.Count == 0
            ? "no key was ever unavailable"
            : $"{unavailable.Count} keys were unavailable at some point; longest {unavailable.Values.Max().TotalMilliseconds:F0} ms, median {Median(unavailable.Values).TotalMilliseconds:F0} ms");
        foreach ((_, _, string failure) in Workload.Failures.Take(10))
        {
            output.WriteLine($"  {failure}");
        }

        foreach (IGrouping<string, string> answer in Workload.Failures.Select(f => AnswerOf(f.Description)).GroupBy(a => a).OrderByDescending(g => g.Count()))
        {
            output.WriteLine($"  {answer.Count()} x {answer.Key}");
        }

        // A request the node cannot answer at once may wait for the failover instead of failing: the
        // window then shows as the longest a successful request took.
        (TimeSpan? onVictims, TimeSpan? onOthers) = LongestSuccessfulRequests(history);
        output.WriteLine($"longest successful request: {Milliseconds(onVictims)} on keys of the nodes taken down, {Milliseconds(onOthers)} on other keys");

        output.WriteLine($"linearizability: {check.LinearizableKeyCount}/{check.Keys.Count} keys linearizable");
        foreach (KeyCheckResult violation in check.Violations.Take(3))
        {
            output.WriteLine($"every request for {violation.Key} (UTC, as in the node logs; nodes {string.Join(", ", cluster.Addresses.Select((a, i) => $"{i} = {a}"))}):");
            foreach (string sent in Workload.TrailOf(violation.Key))
            {
                output.WriteLine($"  {sent}");
            }
        }

        Assert.False(check.HasViolations, check.Describe());
        Assert.Empty(check.TimedOut);

        // Keys of primaries that stayed up never fail, unless the request went through a node that was
        // cut off (it can reach no one, so it can only refuse). A write to a key the node taken down
        // was a backup of waits for its exclusion; on a starved machine that can outlast the request's
        // 5 s, and the write then answers that its outcome is unknown (it still completes): reported,
        // not failed, since it is the machine's delay and not a lost or refused write.
        (string Key, int Node, string Description)[] waitedOut = [.. Workload.Failures.Where(f =>
            !_cutOff.Contains(f.Node) && _keysBackedByVictims.Contains(f.Key) && (overlappingFaults || IsWriteOfUnknownOutcome(f.Description)))];
        output.WriteLine(overlappingFaults
            ? $"{waitedOut.Length} requests for keys the nodes taken down were backups of failed"
            : $"{waitedOut.Length} writes to keys the nodes taken down were backups of outlasted their deadline waiting for the exclusion");
        Assert.All(
            Workload.Failures.Where(f => !_cutOff.Contains(f.Node)).Except(waitedOut),
            failure => Assert.True(_keysOfVictims.Contains(failure.Key), $"a key of a live primary failed: {failure.Description}"));

        // Placement after quiescence: the primaries' counts add up to the keys present, and every
        // key is held by exactly min(3, nodes) nodes.
        int present = Workload.PresentAtTheEnd(history);
        int primaries = 0, copies = 0;
        for (int i = 0; i < _down.Length; i++)
        {
            if (!_down[i])
            {
                KvsResponse counts = await cluster.Clients[i].SendAsync(HttpMethod.Get, "/kvs/key-count");
                primaries += counts.Body["key-count"]!.GetValue<int>();
                copies += counts.Body["replica-key-count"]!.GetValue<int>();
            }
        }

        output.WriteLine($"{present} keys present; primaries counted {primaries}, other copies {copies}");
        Assert.Equal(present, primaries);
        int[] live = [.. Enumerable.Range(0, _down.Length).Where(i => !Volatile.Read(ref _down[i]))];
        try
        {
            await Eventually.Until(
                $"every key to be on exactly its {Math.Min(3, expectedNodes)} replicas, all at one version",
                Bounded,
                _ => PlacementAudit.MisplacedAsync(cluster, live, replicationFactor: 3),
                keys => keys.Count == 0);
        }
        catch (TimeoutException)
        {
            IReadOnlyList<string> misplaced = await PlacementAudit.MisplacedAsync(cluster, live, replicationFactor: 3);
            output.WriteLine($"{misplaced.Count} keys are not on exactly their replicas at one version (nodes {string.Join(", ", cluster.Addresses.Select((a, i) => $"{i} = {a}"))}):");
            foreach (string key in misplaced.Take(5))
            {
                output.WriteLine($"  {key}");
                foreach (string sent in Workload.TrailOf(key[..key.IndexOf(':', StringComparison.Ordinal)]))
                {
                    output.WriteLine($"    {sent}");
                }
            }

            throw;
        }
    }

    /// <summary>A failure's answer without the request and the addresses, so that alike ones group.</summary>
    private static string AnswerOf(string failure) =>
        System.Text.RegularExpressions.Regex.Replace(failure[(failure.IndexOf(": ", StringComparison.Ordinal) + 2)..], @"[0-9.]+:[0-9]+", "<node>");

    private static bool IsWriteOfUnknownOutcome(string failure) =>
        !failure.StartsWith("Get ", StringComparison.Ordinal)
        && (failure.Contains("outcome is unknown", StringComparison.Ordinal) || failure.Contains("did not answer in time", StringComparison.Ordinal));

    private (TimeSpan? OnVictims, TimeSpan? OnOthers) LongestSuccessfulRequests(IReadOnlyList<Operation> history)
    {
        ILookup<bool, TimeSpan?> took = history
            .Where(o => o.ReturnTime != Operation.Infinity)
            .ToLookup(o => _keysOfVictims.Contains(o.Key), o => (TimeSpan?)Stopwatch.GetElapsedTime(o.CallTime, o.ReturnTime));
        return (took[true].Max(), took[false].Max());
    }

    private static string Milliseconds(TimeSpan? longest) => longest is { } value ? $"{value.TotalMilliseconds:F0} ms" : "(no such key)";

    private async Task OperationsAsync(long count)
    {
        long target = Workload.Operations + count;
        await Eventually.WaitUntilAsync(() => Task.FromResult(Workload.Operations >= target), Bounded, $"{count} more client operations");
    }

    /// <summary>The network of a node cut off by <see cref="NoteKeysOf"/> was healed: it can learn of
    /// later exclusions again, so waits for them ask it too.</summary>
    public void Healed(int node) => _stillCutOff.Remove(node);

    /// <summary>The nodes that are up, but without <paramref name="except"/>, and without those cut
    /// off unless <paramref name="cutOffToo"/> (a cut-off node learns of no decision).</summary>
    private IEnumerable<int> LiveNodes(int except, bool cutOffToo) =>
        Enumerable.Range(0, _down.Length).Where(i => i != except && !Volatile.Read(ref _down[i]) && (cutOffToo || !_stillCutOff.Contains(i)));

    private async Task<JsonObject[]> LiveViewsAsync(int except = -1, bool cutOffToo = true)
    {
        IEnumerable<int> live = LiveNodes(except, cutOffToo);
        JsonObject?[] views = await Task.WhenAll(live.Select(cluster.ViewAsync));
        return [.. views.OfType<JsonObject>()];
    }

    /// <summary>What each node that is up answers to GET /kvs/view, or why it does not: what a
    /// wait that timed out prints.</summary>
    private async Task<string> DescribeLiveNodesAsync(int except = -1, bool cutOffToo = true)
    {
        IEnumerable<int> live = LiveNodes(except, cutOffToo);
        string[] answers = await Task.WhenAll(live.Select(async i =>
        {
            try
            {
                using HttpResponseMessage response = await cluster.Clients[i].GetAsync("/kvs/view");
                return $"node {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return $"node {i}: {e.GetType().Name} {e.Message}";
            }
        }));
        return string.Join("\n", answers);
    }

    public void Dispose() => _stop.Dispose();

    private static string? MemberState(JsonObject view, string address) =>
        view["members"]?.AsArray().FirstOrDefault(m => m!["address"]!.GetValue<string>() == address)?["state"]?.GetValue<string>();

    private static TimeSpan Median(IEnumerable<TimeSpan> values)
    {
        TimeSpan[] sorted = [.. values.Order()];
        return sorted[sorted.Length / 2];
    }
}
