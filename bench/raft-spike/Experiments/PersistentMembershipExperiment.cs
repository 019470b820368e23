using System.Diagnostics;
using static RaftSpike.Experiments.ExperimentRunner;

namespace RaftSpike.Experiments;

/// <summary>
/// (k) The bootstrap DotNext documents for a changing membership: the first member cold-starts, the
/// leader adds the others one at a time, membership is kept in DotNext's persistent file. Then a
/// dead member is replaced, every process is SIGKILLed and restarted from its data dir: does the
/// cluster come back with the changed membership?
/// </summary>
public static class PersistentMembershipExperiment
{
    private const string Persist = "--persist-membership";

    public static async Task RunAsync()
    {
        using var cluster = new SpikeCluster("k-persistent-membership", ClusterKey);
        try
        {
            await RunAsync(cluster);
        }
        catch (InvalidOperationException)
        {
            await cluster.PrintStatesAsync("states when it failed", cluster.Nodes.Select(n => n.Port));
            cluster.PrintLogSummary(3);
            throw;
        }
    }

    private static async Task RunAsync(SpikeCluster cluster)
    {
        int first = SpikeCluster.BasePort, second = first + 1, third = first + 2, replacement = first + 3;
        var clock = Stopwatch.StartNew();
        cluster.Start(first, [], dataDir: null, path: null, ClusterKey, extra: Persist + " --cold-start");
        int? leader = await cluster.WaitForLeaderAsync([first], TimeSpan.FromSeconds(30));
        Line($"cold-start member :{first} is leader of a one-member cluster after {clock.Elapsed.TotalMilliseconds:F0} ms: {leader is not null}");
        foreach (int port in new[] { second, third })
        {
            cluster.Start(port, [], dataDir: null, path: null, ClusterKey, extra: Persist);
            await WaitForHttpAsync(cluster, port);
            int now = await cluster.LeaderNowAsync([first, second, third]);
            Line($"add :{port} on leader :{now}: {await cluster.ChangeMembershipAsync(now, "add", port)}");
        }

        var v1 = await cluster.ProposeAnywhereAsync([first, second, third], "v1", TimeSpan.FromSeconds(10));
        Line($"commit v1 with 3 members: {v1 is not null}");

        cluster[third].Kill();
        int leaderNow = await cluster.LeaderNowAsync([first, second]);
        Line($"kill :{third}; remove it on :{leaderNow}: {await cluster.ChangeMembershipAsync(leaderNow, "remove", third)}");
        cluster.Start(replacement, [], dataDir: null, path: null, ClusterKey, extra: Persist);
        await WaitForHttpAsync(cluster, replacement);
        leaderNow = await cluster.LeaderNowAsync([first, second]);
        Line($"add :{replacement} on :{leaderNow}: {await cluster.ChangeMembershipAsync(leaderNow, "add", replacement)}");
        int[] alive = [first, second, replacement];
        var v2 = await cluster.ProposeAnywhereAsync(alive, "v2", TimeSpan.FromSeconds(10));
        Line($"commit v2 with the new membership: {v2 is not null}");

        foreach (int port in alive)
        {
            cluster[port].Kill();
        }

        clock.Restart();
        foreach (int port in alive)
        {
            cluster.Start(port, [], cluster[port].DataDir, path: null, ClusterKey, extra: Persist);
        }

        int? back = await cluster.WaitForLeaderAsync(alive, TimeSpan.FromSeconds(30));
        var v3 = await cluster.ProposeAnywhereAsync(alive, "v3", TimeSpan.FromSeconds(10));
        Line($"all SIGKILLed and restarted from disk: leader :{back} after {clock.Elapsed.TotalMilliseconds:F0} ms; commit v3: {v3 is not null}");
        await cluster.PrintStatesAsync("states after the whole-cluster restart", alive);
        cluster.PrintLogSummary(3);
    }

    private static async Task WaitForHttpAsync(SpikeCluster cluster, int port)
    {
        var clock = Stopwatch.StartNew();
        while (await cluster.StateAsync(port) is null && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(50);
        }
    }
}
