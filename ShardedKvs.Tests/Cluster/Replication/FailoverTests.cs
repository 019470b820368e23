using System.Diagnostics;
using System.Text.Json.Nodes;
using ShardedKvs.Linearizability;
using ShardedKvs.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ShardedKvs.Tests.Cluster.Replication;

/// <summary>
/// Issue 11's promise with real processes: nodes die by SIGKILL (memory gone, no goodbye) under 12
/// clients, the survivors exclude them without an operator, and the history stays linearizable per key
/// with no acknowledged write lost. Every run reports how long keys were unavailable.
/// </summary>
public sealed class FailoverTests(ITestOutputHelper output)
{
    private const int Keys = 200;
    private const int OperationsBetweenSteps = 1500;
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(60);

    private static readonly Dictionary<string, string> Replicated = new() { ["Kvs__ReplicationFactor"] = "3" };

    [Fact]
    public async Task A_killed_node_is_excluded_by_the_survivors_and_no_acknowledged_write_is_lost()
    {
        await using ProcessCluster cluster = await ProcessCluster.StartAsync(nodes: 5, initialViewSize: 5, Replicated);
        using var run = new Run(cluster, output);
        await run.StartAsync();

        await run.KillAndWaitForExclusionAsync(1);
        await run.WaitForReplicationAsync(expectedNodes: 4);

        await run.FinishAsync(expectedNodes: 4);
    }

    [Fact]
    public async Task Two_nodes_killed_one_after_the_other_in_a_five_node_cluster_lose_nothing()
    {
        await using ProcessCluster cluster = await ProcessCluster.StartAsync(nodes: 5, initialViewSize: 5, Replicated);
        using var run = new Run(cluster, output);
        await run.StartAsync();

        await run.KillAndWaitForExclusionAsync(0);
        await run.WaitForReplicationAsync(expectedNodes: 4);
        await run.KillAndWaitForExclusionAsync(3);
        await run.WaitForReplicationAsync(expectedNodes: 3);

        await run.FinishAsync(expectedNodes: 3);
    }

    [Fact]
    public async Task A_restarted_node_rejoins_empty_is_filled_and_serves_again()
    {
        await using ProcessCluster cluster = await ProcessCluster.StartAsync(nodes: 4, initialViewSize: 4, Replicated);
        using var run = new Run(cluster, output);
        await run.StartAsync();

        await run.KillAndWaitForExclusionAsync(2);
        run.Restart(2);
        await run.WaitForReplicationAsync(expectedNodes: 4);

        await run.FinishAsync(expectedNodes: 4);
    }

    /// <summary>One workload over a process cluster, and the steps the tests take on it.</summary>
    private sealed class Run(ProcessCluster cluster, ITestOutputHelper output) : IDisposable
    {
        private readonly bool[] _down = new bool[cluster.Addresses.Length];
        private readonly CancellationTokenSource _stop = new();
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private ClusterWorkload? _workload;
        private Task? _clients;

        private ClusterWorkload Workload => _workload!;

        public async Task StartAsync()
        {
            _workload = new ClusterWorkload(cluster.Clients, i => !Volatile.Read(ref _down[i]), Keys);
            await Workload.PreloadAsync();
            _clients = Workload.RunAsync(_stop.Token);
            await OperationsAsync(OperationsBetweenSteps);
        }

        public async Task KillAndWaitForExclusionAsync(int victim)
        {
            Volatile.Write(ref _down[victim], true);
            cluster.Kill(victim);
            TimeSpan killedAt = _clock.Elapsed;
            string address = cluster.Addresses[victim];
            await Eventually.WaitUntilAsync(
                async () => (await LiveViewsAsync()).All(view => MemberState(view, address) is "excluded" or "learner" or null),
                Bounded,
                $"the survivors to exclude {address}");
            output.WriteLine($"{address} killed at {killedAt.TotalSeconds:F1} s; excluded by every survivor {(_clock.Elapsed - killedAt).TotalMilliseconds:F0} ms later");
            await OperationsAsync(OperationsBetweenSteps);
        }

        public void Restart(int index)
        {
            cluster.Restart(index);
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
            await OperationsAsync(OperationsBetweenSteps);
        }

        public async Task FinishAsync(int expectedNodes)
        {
            await _stop.CancelAsync();
            await _clients!;
            await Workload.ReadEverythingAsync(Bounded);
            IReadOnlyList<Operation> history = Workload.History.GetHistory();
            CheckResult check = LinearizabilityChecker.Check(history);

            IReadOnlyDictionary<string, TimeSpan> unavailable = Workload.Unavailable;
            output.WriteLine($"{history.Count} operations by 12 clients on {Keys} keys; {Workload.Failures.Count} failed requests");
            output.WriteLine(unavailable.Count == 0
                ? "no key was ever unavailable"
                : $"{unavailable.Count} keys were unavailable at some point; longest {unavailable.Values.Max().TotalMilliseconds:F0} ms, median {Median(unavailable.Values).TotalMilliseconds:F0} ms");
            foreach (string failure in Workload.Failures.Take(10))
            {
                output.WriteLine($"  {failure}");
            }

            output.WriteLine($"linearizability: {check.LinearizableKeyCount}/{check.Keys.Count} keys linearizable");
            Assert.False(check.HasViolations, check.Describe());
            Assert.Empty(check.TimedOut);

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
            await Eventually.WaitUntilAsync(
                async () => await AllCopiesAsync() == Math.Min(3, expectedNodes) * present,
                Bounded,
                $"every key to be on exactly {Math.Min(3, expectedNodes)} nodes");
        }

        private async Task<int> AllCopiesAsync()
        {
            int all = 0;
            for (int i = 0; i < _down.Length; i++)
            {
                if (!_down[i])
                {
                    KvsResponse counts = await cluster.Clients[i].SendAsync(HttpMethod.Get, "/kvs/key-count");
                    all += counts.Body["key-count"]!.GetValue<int>() + counts.Body["replica-key-count"]!.GetValue<int>();
                }
            }

            return all;
        }

        private async Task OperationsAsync(long count)
        {
            long target = Workload.Operations + count;
            await Eventually.WaitUntilAsync(() => Task.FromResult(Workload.Operations >= target), Bounded, $"{count} more client operations");
        }

        private async Task<JsonObject[]> LiveViewsAsync()
        {
            IEnumerable<int> live = Enumerable.Range(0, _down.Length).Where(i => !Volatile.Read(ref _down[i]));
            JsonObject?[] views = await Task.WhenAll(live.Select(cluster.ViewAsync));
            return [.. views.OfType<JsonObject>()];
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
}
