using System.Diagnostics;
using static RaftSpike.Experiments.ExperimentRunner;

namespace RaftSpike.Experiments;

/// <summary>
/// (l) The other bootstrap: every member is seeded with the initial view in memory (as in a-j) and
/// keeps its Raft log on disk. After a member was replaced, the whole cluster is SIGKILLed and
/// restarted with the same, now stale, seed: does the membership recorded in the log win?
/// </summary>
public static class StaleSeedRestartExperiment
{
    public static async Task RunAsync()
    {
        using var cluster = new SpikeCluster("l-stale-seed-restart", ClusterKey);
        var seed = SpikeCluster.Ports(3);
        int replaced = seed[2], replacement = SpikeCluster.BasePort + 3;
        foreach (int port in seed)
        {
            cluster.Start(port, seed);
        }

        int leader = await cluster.WaitForLeaderAsync(seed, TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException("no leader");
        await cluster.ProposeAsync(leader, "v1");
        cluster[replaced].Kill();
        leader = await cluster.LeaderNowAsync(seed.Where(p => p != replaced));
        Line($"kill :{replaced}; remove it: {await cluster.ChangeMembershipAsync(leader, "remove", replaced)}");
        cluster.Start(replacement, []);
        var clock = Stopwatch.StartNew();
        while (await cluster.StateAsync(replacement) is null && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(50);
        }

        leader = await cluster.LeaderNowAsync(seed.Where(p => p != replaced));
        Line($"add :{replacement}: {await cluster.ChangeMembershipAsync(leader, "add", replacement)}");
        int[] alive = [seed[0], seed[1], replacement];
        var v2 = await cluster.ProposeAnywhereAsync(alive, "v2", TimeSpan.FromSeconds(10));
        Line($"commit v2 with members {string.Join(',', alive)}: {v2 is not null}");

        foreach (int port in alive)
        {
            cluster[port].Kill();
        }

        clock.Restart();
        foreach (int port in alive)
        {
            cluster.Start(port, seed, cluster[port].DataDir);
        }

        int? back = await cluster.WaitForLeaderAsync(alive, TimeSpan.FromSeconds(30));
        var v3 = await cluster.ProposeAnywhereAsync(alive, "v3", TimeSpan.FromSeconds(10));
        Line($"all SIGKILLed, restarted from disk with the stale seed {string.Join(',', seed)}: leader :{back} after {clock.Elapsed.TotalMilliseconds:F0} ms; commit v3: {v3 is not null}");
        await Task.Delay(500);
        await cluster.PrintStatesAsync("states after the restart", alive);
        cluster.PrintLogSummary(3);
    }
}
