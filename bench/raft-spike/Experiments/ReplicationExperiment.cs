using System.Globalization;
using System.Text.Json;
using static RaftSpike.Experiments.ExperimentRunner;

namespace RaftSpike.Experiments;

/// <summary>(b) 100 sequential proposals to the leader; client round trip and the leader's own
/// ReplicateAsync time. Signed and unsigned clusters side by side in one run.</summary>
public static class ReplicationExperiment
{
    private const int Entries = 100;

    public static async Task RunAsync()
    {
        foreach (var (size, key) in new (int, string?)[] { (3, ClusterKey), (3, null), (5, ClusterKey) })
        {
            using var cluster = new SpikeCluster($"b-replicate-{size}-{(key is null ? "unsigned" : "signed")}", key);
            var ports = SpikeCluster.Ports(size);
            foreach (int port in ports)
            {
                cluster.Start(port, ports);
            }

            int leader = await cluster.WaitForLeaderAsync(ports, TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException("no leader");
            for (int i = 0; i < 10; i++)
            {
                await cluster.ProposeAsync(leader, $"warmup-{i}");
            }

            List<double> client = [], server = [];
            int failed = 0, moved = 0;
            for (int i = 0; i < Entries; i++)
            {
                var (result, now, leaderMoved) = await cluster.ProposeFollowingLeaderAsync(leader, ports, $"entry-{i.ToString(CultureInfo.InvariantCulture)}");
                leader = now;
                moved += leaderMoved ? 1 : 0;
                if (!result.Ok)
                {
                    failed++;
                    continue;
                }

                if (leaderMoved)
                {
                    continue;
                }

                client.Add(result.ClientMs);
                using var body = JsonDocument.Parse(result.Body);
                server.Add(body.RootElement.GetProperty("ms").GetDouble());
            }

            await Task.Delay(300);
            var states = await Task.WhenAll(ports.Select(cluster.StateAsync));
            int converged = states.Count(s => s?.Value == $"entry-{Entries - 1}");
            Line($"{size} nodes {(key is null ? "unsigned" : "signed  ")}: client {Stats.Summary(client)}; leader ReplicateAsync {Stats.Summary(server)}; failed {failed}; leadership moved {moved} times (no fault injected; such a proposal is retried and its time not counted); nodes holding the last value {converged}/{size}");
        }
    }
}
