using System.Diagnostics;
using static RaftSpike.Experiments.ExperimentRunner;

namespace RaftSpike.Experiments;

/// <summary>
/// (l) The other bootstrap: every member is seeded with the initial view and keeps its Raft log on
/// disk. After a member was replaced, the whole cluster is SIGKILLed and restarted with the same,
/// now stale, seed: does the membership recorded since win? Membership kept in DotNext's in-memory
/// storage (as in a-j), then in its persistent file written from the seed on first start.
/// </summary>
public static class StaleSeedRestartExperiment
{
    public static async Task RunAsync()
    {
        await RunAsync("l1-in-memory-membership", extra: string.Empty);
        await RunAsync("l2-seeded-persistent-membership", extra: "--seeded-membership");
    }

    private static async Task RunAsync(string name, string extra)
    {
        using var cluster = new SpikeCluster(name, ClusterKey);
        string[] Names(IEnumerable<int> ports) => ports.Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var seed = SpikeCluster.Ports(3);
        int replaced = seed[2], replacement = SpikeCluster.BasePort + 3;
        foreach (int port in seed)
        {
            cluster.Start(port, Names(seed), dataDir: null, path: null, ClusterKey, extra: extra);
        }

        int leader = await cluster.WaitForLeaderAsync(seed, TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException("no leader");
        await cluster.ProposeAsync(leader, "v1");
        cluster[replaced].Kill();
        leader = await cluster.LeaderNowAsync(seed.Where(p => p != replaced));
        Line($"[{name}] kill :{replaced}; remove it: {await cluster.ChangeMembershipAsync(leader, "remove", replaced)}");
        cluster.Start(replacement, [], dataDir: null, path: null, ClusterKey, extra: extra);
        var clock = Stopwatch.StartNew();
        while (await cluster.StateAsync(replacement) is null && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(50);
        }

        leader = await cluster.LeaderNowAsync(seed.Where(p => p != replaced));
        Line($"[{name}] add :{replacement}: {await cluster.ChangeMembershipAsync(leader, "add", replacement)}");
        int[] alive = [seed[0], seed[1], replacement];
        var v2 = await cluster.ProposeAnywhereAsync(alive, "v2", TimeSpan.FromSeconds(10));
        Line($"[{name}] commit v2 with members {string.Join(',', alive)}: {v2 is not null}");

        foreach (int port in alive)
        {
            cluster[port].Kill();
        }

        clock.Restart();
        foreach (int port in alive)
        {
            cluster.Start(port, Names(seed), cluster[port].DataDir, path: null, ClusterKey, extra: extra);
        }

        int? back = await cluster.WaitForLeaderAsync(alive, TimeSpan.FromSeconds(30));
        var v3 = await cluster.ProposeAnywhereAsync(alive, "v3", TimeSpan.FromSeconds(10));
        Line($"[{name}] all SIGKILLed, restarted from disk with the stale seed {string.Join(',', seed)}: leader :{back} after {clock.Elapsed.TotalMilliseconds:F0} ms; commit v3: {v3 is not null}");
        await Task.Delay(500);
        await cluster.PrintStatesAsync($"[{name}] states after the restart", alive);
        cluster.PrintLogSummary(3);
    }
}
