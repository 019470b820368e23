using System.Diagnostics;
using static RaftSpike.Experiments.ExperimentRunner;

namespace RaftSpike.Experiments;

/// <summary>(d) SIGKILL a follower, commit while it is down, restart it at the SAME address either
/// with an EMPTY data dir (ShardedKvs' restart semantics) or with its old data dir.</summary>
public static class FollowerRestartExperiment
{
    public static async Task RunAsync()
    {
        foreach (bool empty in new[] { true, false })
        {
            string mode = empty ? "empty" : "persisted";
            using var cluster = new SpikeCluster($"d-follower-restart-{mode}", ClusterKey);
            var ports = SpikeCluster.Ports(3);
            foreach (int port in ports)
            {
                cluster.Start(port, ports);
            }

            int leader = await cluster.WaitForLeaderAsync(ports, TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException("no leader");
            for (int i = 0; i < 10; i++)
            {
                await cluster.ProposeAsync(leader, $"v{i}");
            }

            int follower = ports.First(p => p != leader);
            cluster[follower].Kill();
            var alive = ports.Where(p => p != follower).ToArray();
            for (int i = 10; i < 15; i++)
            {
                if (await cluster.ProposeAnywhereAsync(alive, $"v{i}", TimeSpan.FromSeconds(15)) is null)
                {
                    Line($"[{mode}] commit v{i} with the follower down: no leader committed it within 15 s");
                }
            }

            string dataDir = empty ? Path.Combine(cluster.Directory, $"data-{follower}-incarnation-2") : cluster[follower].DataDir;
            cluster.Start(follower, ports, dataDir);
            var clock = Stopwatch.StartNew();
            NodeState? state = null;
            while (clock.Elapsed < TimeSpan.FromSeconds(15))
            {
                state = await cluster.StateAsync(follower);
                if (state?.Value == "v14")
                {
                    break;
                }

                await Task.Delay(50);
            }

            Line($"[{mode}] killed follower :{follower}, 5 commits while down, restarted at the same address: "
                + (state?.Value == "v14" ? $"caught up (value v14) {clock.Elapsed.TotalMilliseconds:F0} ms after process start" : $"NOT caught up after 15 s: {state}"));
            var after = await cluster.ProposeAnywhereAsync(ports, "v15", TimeSpan.FromSeconds(15));
            await Task.Delay(500);
            Line($"[{mode}] commit after its return: {after is not null}");
            await cluster.PrintStatesAsync($"[{mode}] states", ports);
            cluster.PrintLogSummary(5);
        }
    }
}
