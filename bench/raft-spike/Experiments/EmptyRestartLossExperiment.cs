using static RaftSpike.Experiments.ExperimentRunner;

namespace RaftSpike.Experiments;

/// <summary>
/// (g) Raft assumes a member that acknowledged an entry still has it after a restart. With
/// ShardedKvs' restart semantics (same address, empty memory) that is false. Sequence: follower X is
/// killed; the leader commits V with follower Y; Y and the leader are killed; Y restarts (empty or
/// with its data dir) and X restarts with its data dir (which never saw V). X and Y are a majority:
/// does the committed V survive? (X is killed rather than stopped: a stopped process still receives
/// the leader's append into its socket buffer and applies it on SIGCONT, which hid the loss once.)
/// </summary>
public static class EmptyRestartLossExperiment
{
    public static async Task RunAsync()
    {
        foreach (bool empty in new[] { true, false })
        {
            string mode = empty ? "empty" : "persisted";
            using var cluster = new SpikeCluster($"g-empty-restart-loss-{mode}", ClusterKey);
            var ports = SpikeCluster.Ports(3);
            foreach (int port in ports)
            {
                cluster.Start(port, ports);
            }

            int first = await cluster.WaitForLeaderAsync(ports, TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException("no leader");
            _ = await cluster.ProposeAnywhereAsync(ports, "base", TimeSpan.FromSeconds(15)) ?? throw new InvalidOperationException("no commit");
            await Task.Delay(300);
            int x = ports.First(p => p != first);
            cluster[x].Kill();
            // Whoever leads now commits V with the only other live member, Y.
            var committed = await cluster.ProposeAnywhereAsync(ports.Where(p => p != x).ToArray(), "acknowledged-V", TimeSpan.FromSeconds(15))
                ?? throw new InvalidOperationException("V not committed");
            int leader = committed.Port;
            int y = ports.Single(p => p != x && p != leader);
            Line($"[{mode}] X=:{x} killed; leader :{leader} committed 'acknowledged-V' with Y=:{y}: {committed.Result.Body}");

            cluster[y].Kill();
            cluster[leader].Kill();
            string dataDir = empty ? System.IO.Path.Combine(cluster.Directory, $"data-{y}-incarnation-2") : cluster[y].DataDir;
            cluster.Start(y, ports, dataDir);
            cluster.Start(x, ports, cluster[x].DataDir);
            var survivors = new[] { x, y };
            int? next = await cluster.WaitForLeaderAsync(survivors, TimeSpan.FromSeconds(30), majorityOf: 3);
            string read = next is null ? "no leader" : await cluster.ReadAsync(next.Value, barrier: true);
            Line($"[{mode}] leader and Y killed, Y restarted {mode}, X restarted from its data dir: new leader :{next}; its committed value (read barrier): {read}");
            bool lost = !read.Contains("acknowledged-V", StringComparison.Ordinal);
            Line($"[{mode}] ACKNOWLEDGED ENTRY {(lost ? "LOST" : "kept")}");
            await cluster.PrintStatesAsync($"[{mode}] states", survivors);
        }
    }
}
