using static RaftSpike.Experiments.ExperimentRunner;

namespace RaftSpike.Experiments;

/// <summary>
/// (g) Raft assumes a member that acknowledged an entry still has it after a restart. With
/// ShardedKvs' restart semantics (same address, empty memory) that is false. Sequence: follower X
/// stalls; the leader commits V with follower Y; Y and the leader die; Y restarts (empty or with its
/// data dir); X resumes. X and Y are a majority: does the committed V survive?
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

            int leader = await cluster.WaitForLeaderAsync(ports, TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException("no leader");
            int x = ports.First(p => p != leader);
            int y = ports.Last(p => p != leader);
            await cluster.ProposeAsync(leader, "base");
            await Task.Delay(300);
            cluster[x].Stop();
            var acked = await cluster.ProposeAsync(leader, "acknowledged-V");
            Line($"[{mode}] X=:{x} stalled; leader :{leader} committed 'acknowledged-V' with Y=:{y}: {acked.Ok} {acked.Body}");

            cluster[y].Kill();
            cluster[leader].Kill();
            string dataDir = empty ? System.IO.Path.Combine(cluster.Directory, $"data-{y}-incarnation-2") : cluster[y].DataDir;
            cluster.Start(y, ports, dataDir);
            cluster[x].Continue();
            var survivors = new[] { x, y };
            int? next = await cluster.WaitForLeaderAsync(survivors, TimeSpan.FromSeconds(30), majorityOf: 3);
            string read = next is null ? "no leader" : await cluster.ReadAsync(next.Value, barrier: true);
            Line($"[{mode}] leader and Y killed, Y restarted {mode}, X resumed: new leader :{next}; its committed value (read barrier): {read}");
            bool lost = !read.Contains("acknowledged-V", StringComparison.Ordinal);
            Line($"[{mode}] ACKNOWLEDGED ENTRY {(lost ? "LOST" : "kept")}");
            await cluster.PrintStatesAsync($"[{mode}] states", survivors);
        }
    }
}
