using System.Diagnostics;
using static RaftSpike.Experiments.ExperimentRunner;

namespace RaftSpike.Experiments;

/// <summary>(a) Every node starts at once with the same static member list (no cold-start node).</summary>
public static class ColdStartExperiment
{
    private const int Trials = 2;

    public static async Task RunAsync()
    {
        foreach (int size in new[] { 3, 5 })
        {
            for (int trial = 1; trial <= Trials; trial++)
            {
                using var cluster = new SpikeCluster($"a-cold-start-{size}-{trial}", ClusterKey);
                var ports = SpikeCluster.Ports(size);
                var clock = Stopwatch.StartNew();
                foreach (int port in ports)
                {
                    cluster.Start(port, ports);
                }

                while ((await Task.WhenAll(ports.Select(cluster.StateAsync))).Any(s => s is null) && clock.Elapsed < TimeSpan.FromSeconds(30))
                {
                    await Task.Delay(20);
                }

                double allAnswer = clock.Elapsed.TotalMilliseconds;
                int? leader = await cluster.WaitForLeaderAsync(ports, TimeSpan.FromSeconds(30));
                double leaderMs = clock.Elapsed.TotalMilliseconds;
                var commit = await cluster.ProposeAnywhereAsync(ports, "first", TimeSpan.FromSeconds(15));
                double commitMs = clock.Elapsed.TotalMilliseconds;
                var term = (await cluster.StateAsync(leader ?? ports[0]))?.Term;
                Line($"{size} nodes, trial {trial}: all answer HTTP {allAnswer:F0} ms; leader :{leader} agreed by all {leaderMs:F0} ms "
                    + $"({leaderMs - allAnswer:F0} ms after the last node answered), term {term}; first commit {(commit is null ? "NONE" : $"{commitMs:F0} ms")}");
                if (trial == Trials)
                {
                    cluster.PrintLogSummary(3);
                }
            }
        }
    }
}
