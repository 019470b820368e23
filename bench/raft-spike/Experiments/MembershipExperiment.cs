using System.Diagnostics;
using static RaftSpike.Experiments.ExperimentRunner;

namespace RaftSpike.Experiments;

/// <summary>(e) With one member of three dead: remove it then add a replacement (at a new address,
/// or a fresh process at the dead one's address), or add the replacement first and remove after.</summary>
public static class MembershipExperiment
{
    private const int NewPort = SpikeCluster.BasePort + 3;
    private const int ReaddTrials = 5;

    public static async Task RunAsync()
    {
        await RunAsync("e1-remove-then-add-new-address", removeFirst: true, sameAddress: false);
        await RunAsync("e2-remove-then-add-same-address", removeFirst: true, sameAddress: true);
        await RunAsync("e3-add-new-address-then-remove", removeFirst: false, sameAddress: false);
        await RemoveLiveThenReaddAsync();
    }

    /// <summary>dotnet/dotNext#299 (fix in the open PR #300): a removed member that is still alive
    /// and is added back. For us: a node excluded on a false suspicion (slow, briefly partitioned).</summary>
    private static async Task RemoveLiveThenReaddAsync()
    {
        const string name = "e4-remove-live-then-readd";
        using var cluster = new SpikeCluster(name, ClusterKey);
        var ports = SpikeCluster.Ports(3);
        foreach (int port in ports)
        {
            cluster.Start(port, ports);
        }

        int leader = await cluster.WaitForLeaderAsync(ports, TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException("no leader");
        await cluster.ProposeAsync(leader, "before");
        int live = ports.First(p => p != leader);
        int caughtUp = 0;
        for (int trial = 1; trial <= ReaddTrials; trial++)
        {
            leader = await cluster.LeaderNowAsync(ports);
            live = ports.First(p => p != leader);
            string removed = await cluster.ChangeMembershipAsync(leader, "remove", live);
            var between = await cluster.ProposeAsync(leader, $"between-{trial}");
            leader = await cluster.LeaderNowAsync(ports.Where(p => p != live));
            string added = await cluster.ChangeMembershipAsync(leader, "add", live);
            var after = await cluster.ProposeAnywhereAsync(ports, $"after-{trial}", TimeSpan.FromSeconds(10));
            var clock = Stopwatch.StartNew();
            while ((await cluster.StateAsync(live))?.Value != $"after-{trial}" && clock.Elapsed < TimeSpan.FromSeconds(5))
            {
                await Task.Delay(50);
            }

            bool ok = (await cluster.StateAsync(live))?.Value == $"after-{trial}";
            caughtUp += ok ? 1 : 0;
            Line($"[{name}] trial {trial}: remove LIVE :{live} -> {removed}; commit without it {between.Ok}; add it back -> {added}; "
                + $"commit after {(after is null ? "NONE" : "ok")}; re-added member holds it: {ok}");
        }

        Line($"[{name}] re-added live member caught up in {caughtUp}/{ReaddTrials} trials");
        await cluster.PrintStatesAsync($"[{name}] states", ports);
        cluster.PrintLogSummary(5);
    }

    private static async Task RunAsync(string name, bool removeFirst, bool sameAddress)
    {
        using var cluster = new SpikeCluster(name, ClusterKey);
        var ports = SpikeCluster.Ports(3);
        foreach (int port in ports)
        {
            cluster.Start(port, ports);
        }

        int leader = await cluster.WaitForLeaderAsync(ports, TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException("no leader");
        await cluster.ProposeAsync(leader, "before");
        int dead = ports.First(p => p != leader);
        cluster[dead].Kill();
        int replacement = sameAddress ? dead : NewPort;
        var alive = ports.Where(p => p != dead).Append(replacement).Distinct().ToArray();

        if (removeFirst)
        {
            leader = await cluster.LeaderNowAsync(ports.Where(p => p != dead));
            Line($"[{name}] remove dead :{dead} on leader :{leader}: {await cluster.ChangeMembershipAsync(leader, "remove", dead)}");
            var between = await cluster.ProposeAsync(leader, "between");
            Line($"[{name}] commit with 2 members: {between.Ok} {between.Status}");
        }

        // The replacement knows no members: it learns the configuration from the leader.
        cluster.Start(replacement, [], Path.Combine(cluster.Directory, $"data-{replacement}-new"));
        await WaitForHttpAsync(cluster, replacement);
        leader = await cluster.LeaderNowAsync(ports.Where(p => p != dead));
        var clock = Stopwatch.StartNew();
        string added = await cluster.ChangeMembershipAsync(leader, "add", replacement);
        Line($"[{name}] add :{replacement} (fresh process, empty) on leader :{leader}: {added} ({clock.Elapsed.TotalMilliseconds:F0} ms)");
        if (!removeFirst)
        {
            leader = await cluster.LeaderNowAsync(alive);
            Line($"[{name}] remove dead :{dead}: {await cluster.ChangeMembershipAsync(leader, "remove", dead)}");
        }

        var after = await cluster.ProposeAnywhereAsync(alive, "after", TimeSpan.FromSeconds(10));
        await Task.Delay(500);
        var state = await cluster.StateAsync(replacement);
        Line($"[{name}] commit after the change: {(after is null ? "NONE" : "ok")}; replacement :{replacement} value '{state?.Value}'");
        await cluster.PrintStatesAsync($"[{name}] states", alive);
        cluster.PrintLogSummary(4);
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
