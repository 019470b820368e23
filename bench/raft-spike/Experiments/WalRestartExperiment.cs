using System.Diagnostics;
using System.Globalization;
using static RaftSpike.Experiments.ExperimentRunner;

namespace RaftSpike.Experiments;

/// <summary>
/// (j) Regression check for dotnet/dotNext#292 (entries straddling a WAL chunk boundary read back
/// corrupted) and a whole-cluster restart from the data dirs: 300 self-checking entries of
/// 300-900 bytes with snapshots off (so the WAL holds them all), then every node SIGKILLed and
/// restarted; each replays its whole WAL and counts entries whose declared length does not match.
/// </summary>
public static class WalRestartExperiment
{
    private const int Entries = 300;
    private const int NoSnapshots = int.MaxValue;

    public static async Task RunAsync()
    {
        using var cluster = new SpikeCluster("j-wal-restart", ClusterKey);
        var ports = SpikeCluster.Ports(3);
        var members = ports.Select(p => p.ToString(CultureInfo.InvariantCulture)).ToArray();
        foreach (int port in ports)
        {
            cluster.Start(port, members, dataDir: null, path: null, ClusterKey, NoSnapshots);
        }

        int leader = await cluster.WaitForLeaderAsync(ports, TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException("no leader");
        var random = new Random(292);
        Line("payload sizes drawn with seed 292");
        string last = string.Empty;
        int failed = 0, leaderChanges = 0;
        Dictionary<string, int> failures = [];
        for (int i = 0; i < Entries; i++)
        {
            string text = $"entry-{i.ToString(CultureInfo.InvariantCulture)}-" + new string('x', random.Next(300, 900));
            last = $"#{text.Length.ToString(CultureInfo.InvariantCulture)}|{text}";
            // Leadership can move without any fault injected: count it, follow the leader, retry once.
            var (result, now, moved) = await cluster.ProposeFollowingLeaderAsync(leader, ports, last);
            leader = now;
            leaderChanges += moved ? 1 : 0;

            if (!result.Ok)
            {
                failed++;
                string key = $"{result.Status} {result.Body}";
                failures[key] = failures.GetValueOrDefault(key) + 1;
            }
        }

        foreach (var (failure, count) in failures)
        {
            Line($"  {count} x {failure}");
        }

        await Task.Delay(500);
        var before = await Task.WhenAll(ports.Select(cluster.StateAsync));
        Line($"{Entries} entries, {failed} failed, leadership moved {leaderChanges} times while proposing; before restart: " + string.Join("; ", before.Select(s => $"{s?.Self} applied={s?.Applied} corrupt={s?.CorruptEntries} last={(s?.Value == last)}")));
        long walBytes = Directory.EnumerateFiles(cluster[leader].DataDir, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Line($"leader data dir holds {walBytes / 1024} KiB");

        foreach (int port in ports)
        {
            cluster[port].Kill();
        }

        var clock = Stopwatch.StartNew();
        foreach (int port in ports)
        {
            cluster.Start(port, members, cluster[port].DataDir, path: null, ClusterKey, NoSnapshots);
        }

        int? next = await cluster.WaitForLeaderAsync(ports, TimeSpan.FromSeconds(30));
        Line($"all three SIGKILLed and restarted from their data dirs: leader :{next} after {clock.Elapsed.TotalMilliseconds:F0} ms");
        var commit = await cluster.ProposeAnywhereAsync(ports, "after-restart", TimeSpan.FromSeconds(10));
        await Task.Delay(300);
        var after = await Task.WhenAll(ports.Select(cluster.StateAsync));
        Line($"commit after restart: {(commit is null ? "NONE" : "ok")}; after: " + string.Join("; ", after.Select(s => $"{s?.Self} applied={s?.Applied} corrupt={s?.CorruptEntries} value={s?.Value}")));
        cluster.PrintLogSummary(3);
    }
}
