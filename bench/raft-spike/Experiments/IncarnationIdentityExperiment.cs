using System.Diagnostics;
using static RaftSpike.Experiments.ExperimentRunner;

namespace RaftSpike.Experiments;

/// <summary>
/// (h) DotNext derives a member's id from its URL. Putting the incarnation in the URL's path gives
/// each process start its own identity at the same host:port: the restarted process is a NEW member,
/// the old identity is removed, and calls meant for the old incarnation miss its route (404).
/// </summary>
public static class IncarnationIdentityExperiment
{
    public static async Task RunAsync()
    {
        using var cluster = new SpikeCluster("h-incarnation-in-url", ClusterKey);
        var ports = SpikeCluster.Ports(3);
        string UrlOf(int port, string incarnation) => $"{SpikeCluster.Url(port)}raft-{incarnation}";
        var members = ports.Select(p => UrlOf(p, "1")).ToArray();
        foreach (int port in ports)
        {
            cluster.Start(port, members, dataDir: null, path: "raft-1", ClusterKey);
        }

        int leader = await cluster.WaitForLeaderAsync(ports, TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException("no leader");
        await cluster.ProposeAsync(leader, "before");
        int restarted = ports.First(p => p != leader);
        cluster[restarted].Kill();
        await cluster.ProposeAsync(leader, "while-down");

        // The new incarnation knows no members, has an empty data dir and a new URL.
        cluster.Start(restarted, [], Path.Combine(cluster.Directory, $"data-{restarted}-incarnation-2"), "raft-2", ClusterKey);
        var clock = Stopwatch.StartNew();
        while (await cluster.StateAsync(restarted) is null && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(50);
        }

        Line($"a call to the old incarnation's Raft URL now answers {await cluster.StatusOfAsync(UrlOf(restarted, "1"))} (the new process does not serve it)");
        leader = await cluster.LeaderNowAsync(ports.Where(p => p != restarted));
        Line($"add new incarnation {UrlOf(restarted, "2")}: {await cluster.ChangeMembershipAsync(leader, "add", UrlOf(restarted, "2"))}");
        leader = await cluster.LeaderNowAsync(ports);
        Line($"remove old incarnation {UrlOf(restarted, "1")}: {await cluster.ChangeMembershipAsync(leader, "remove", UrlOf(restarted, "1"))}");
        var after = await cluster.ProposeAnywhereAsync(ports, "after", TimeSpan.FromSeconds(10));
        await Task.Delay(500);
        Line($"commit after the swap: {(after is null ? "NONE" : "ok")}; new incarnation's value '{(await cluster.StateAsync(restarted))?.Value}'");
        await cluster.PrintStatesAsync("states", ports);
        cluster.PrintLogSummary(4);
    }
}
