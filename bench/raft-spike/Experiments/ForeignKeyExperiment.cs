using static RaftSpike.Experiments.ExperimentRunner;

namespace RaftSpike.Experiments;

/// <summary>(i) A process with the wrong cluster key that believes it is a member (it lists the
/// cluster and itself): its votes and appends must be refused, and it must not disturb the leader.</summary>
public static class ForeignKeyExperiment
{
    public static async Task RunAsync()
    {
        using var cluster = new SpikeCluster("i-foreign-key", ClusterKey);
        var ports = SpikeCluster.Ports(3);
        foreach (int port in ports)
        {
            cluster.Start(port, ports);
        }

        _ = await cluster.WaitForLeaderAsync(ports, TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException("no leader");
        _ = await cluster.ProposeAnywhereAsync(ports, "before", TimeSpan.FromSeconds(10)) ?? throw new InvalidOperationException("no commit");
        await Task.Delay(1000);
        long termBefore = (await Task.WhenAll(ports.Select(cluster.StateAsync))).Max(s => s?.Term ?? 0);
        int intruder = SpikeCluster.BasePort + 3;
        var everyone = ports.Append(intruder).Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        cluster.Start(intruder, everyone, dataDir: null, path: null, clusterKey: "wrong-key");
        await Task.Delay(5000);
        var after = await cluster.ProposeAnywhereAsync(ports, "after", TimeSpan.FromSeconds(10));
        var states = await Task.WhenAll(ports.Select(cluster.StateAsync));
        var intruderState = await cluster.StateAsync(intruder);
        Line($"intruder :{intruder} ran 5 s with a wrong key; highest term among members {termBefore} -> {states.Max(s => s?.Term ?? 0)}; commit after: {after is not null}");
        Line($"refused (401) Raft calls per member: {string.Join(", ", states.Select(s => $"{s?.Self}={s?.RefusedCalls}"))}");
        Line($"intruder's view: {intruderState}");
        cluster.PrintLogSummary(3);
    }
}
