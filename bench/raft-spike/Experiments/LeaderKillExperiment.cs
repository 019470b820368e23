using System.Diagnostics;
using static RaftSpike.Experiments.ExperimentRunner;

namespace RaftSpike.Experiments;

/// <summary>(c) SIGKILL the leader of a 3-node cluster; measure until a survivor is leader and until
/// it commits. The killed node comes back with its data dir (the standard Raft restart) between trials.</summary>
public static class LeaderKillExperiment
{
    private const int Trials = 3;

    public static async Task RunAsync()
    {
        using var cluster = new SpikeCluster("c-leader-kill", ClusterKey);
        var ports = SpikeCluster.Ports(3);
        foreach (int port in ports)
        {
            cluster.Start(port, ports);
        }

        List<double> toLeader = [], toCommit = [];
        for (int trial = 1; trial <= Trials; trial++)
        {
            int leader = await cluster.WaitForLeaderAsync(ports, TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException("no leader");
            var before = await cluster.ProposeAsync(leader, $"before-{trial}");
            var survivors = ports.Where(p => p != leader).ToArray();
            cluster[leader].Kill();
            var clock = Stopwatch.StartNew();
            int? next = await cluster.WaitForLeaderAsync(survivors, TimeSpan.FromSeconds(20), majorityOf: 3);
            double leaderMs = clock.Elapsed.TotalMilliseconds;
            var commit = await cluster.ProposeAnywhereAsync(survivors, $"after-{trial}", TimeSpan.FromSeconds(20));
            double commitMs = clock.Elapsed.TotalMilliseconds;
            if (next is not null && commit is not null)
            {
                toLeader.Add(leaderMs);
                toCommit.Add(commitMs);
            }

            Line($"trial {trial}: killed leader :{leader} (last commit before: {before.Ok}); new leader :{next} after {leaderMs:F0} ms; "
                + $"first commit by the new leader {(commit is null ? "NONE" : $"after {commitMs:F0} ms on :{commit.Value.Port}")}");

            // Bring it back with its data dir and wait until it holds the latest value again.
            cluster.Start(leader, ports, cluster[leader].DataDir);
            var rejoin = Stopwatch.StartNew();
            while (rejoin.Elapsed < TimeSpan.FromSeconds(20) && (await cluster.StateAsync(leader))?.Value != $"after-{trial}")
            {
                await Task.Delay(50);
            }

            Line($"         restarted :{leader} with its data dir holds the latest value after {rejoin.Elapsed.TotalMilliseconds:F0} ms (from process start)");
        }

        Line($"kill -> new leader: {Stats.Summary(toLeader)}");
        Line($"kill -> new leader's first commit: {Stats.Summary(toCommit)}");
        cluster.PrintLogSummary(4);
    }
}
