using System.Diagnostics;
using static RaftSpike.Experiments.ExperimentRunner;

namespace RaftSpike.Experiments;

/// <summary>(f) A stalled leader (SIGSTOP, like a long GC pause or a partition): the others elect a
/// new leader and commit; then SIGCONT, and we ask the old leader at once what it believes.</summary>
public static class StalledLeaderExperiment
{
    public static async Task RunAsync()
    {
        using var cluster = new SpikeCluster("f-stalled-leader", ClusterKey);
        var ports = SpikeCluster.Ports(3);
        foreach (int port in ports)
        {
            cluster.Start(port, ports);
        }

        int old = await cluster.WaitForLeaderAsync(ports, TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException("no leader");
        await cluster.ProposeAsync(old, "before-stall");
        var others = ports.Where(p => p != old).ToArray();
        cluster[old].Stop();
        var clock = Stopwatch.StartNew();
        int? next = await cluster.WaitForLeaderAsync(others, TimeSpan.FromSeconds(20), majorityOf: 3);
        var commit = await cluster.ProposeAnywhereAsync(others, "after-stall", TimeSpan.FromSeconds(20));
        Line($"SIGSTOP leader :{old}; new leader :{next} after {clock.Elapsed.TotalMilliseconds:F0} ms; committed 'after-stall': {commit is not null}");
        await Task.Delay(1000);

        cluster[old].Continue();
        var resumed = Stopwatch.StartNew();
        // Ask at once, concurrently, before its timers have had a chance to run.
        var stateTask = cluster.StateAsync(old);
        var plainRead = cluster.ReadAsync(old, barrier: false);
        var barrierRead = cluster.ReadAsync(old, barrier: true);
        var propose = cluster.ProposeAsync(old, "from-stale-leader");
        var firstState = await stateTask;
        Line($"right after SIGCONT, old leader says: {firstState}");
        Line($"  read without barrier: {await plainRead}");
        Line($"  read with ApplyReadBarrierAsync: {await barrierRead}");
        var proposed = await propose;
        Line($"  propose on the old leader: {proposed.Status} {proposed.Body} ({proposed.ClientMs:F0} ms)");
        await Task.Delay(1000);
        await cluster.PrintStatesAsync($"{resumed.Elapsed.TotalMilliseconds:F0} ms after SIGCONT", ports);
        cluster.PrintLogSummary(4);
    }
}
