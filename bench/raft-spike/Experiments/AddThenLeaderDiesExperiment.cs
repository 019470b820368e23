using System.Diagnostics;
using static RaftSpike.Experiments.ExperimentRunner;

namespace RaftSpike.Experiments;

/// <summary>
/// (m) A view change meets a node death: with members {A leader, B}, a replacement D is added and
/// the leader A is SIGKILLed right after the add returns. B and D are a majority of {A, B, D}: can
/// they elect a leader? (Experiments k and e3 wedged when a newly added member's vote was needed.)
/// </summary>
public static class AddThenLeaderDiesExperiment
{
    private const int Trials = 3;

    public static async Task RunAsync()
    {
        foreach (bool waitForPropagation in new[] { false, true })
        {
            int wedged = 0;
            for (int trial = 1; trial <= Trials; trial++)
            {
                wedged += await TrialAsync(trial, waitForPropagation) ? 0 : 1;
            }

            Line($"{(waitForPropagation ? "[killed once B and D list D as a member]" : "[killed at once]")} a leader elected by B and D in {Trials - wedged}/{Trials} trials");
        }
    }

    private static async Task<bool> TrialAsync(int trial, bool waitForPropagation)
    {
        using var cluster = new SpikeCluster($"m-add-then-leader-dies-{(waitForPropagation ? "after-propagation" : "at-once")}-{trial}", ClusterKey);
        var seed = SpikeCluster.Ports(3);
        int d = SpikeCluster.BasePort + 3;
        string[] members = seed.Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        foreach (int port in seed)
        {
            cluster.Start(port, members, dataDir: null, path: null, ClusterKey, extra: "--seeded-membership");
        }

        int a = await cluster.WaitForLeaderAsync(seed, TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException("no leader");
        _ = await cluster.ProposeAnywhereAsync(seed, "v1", TimeSpan.FromSeconds(10));
        int c = seed.First(p => p != a);
        cluster[c].Kill();
        a = await cluster.LeaderNowAsync(seed.Where(p => p != c));
        string removed = await cluster.ChangeMembershipAsync(a, "remove", c);
        cluster.Start(d, [], dataDir: null, path: null, ClusterKey, extra: "--seeded-membership");
        var clock = Stopwatch.StartNew();
        while (await cluster.StateAsync(d) is null && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(50);
        }

        a = await cluster.LeaderNowAsync(seed.Where(p => p != c));
        int b = seed.Single(p => p != a && p != c);
        string added = await cluster.ChangeMembershipAsync(a, "add", d);
        var propagation = Stopwatch.StartNew();
        if (waitForPropagation)
        {
            // What a wrapper could do: hold the next step until the survivors act on the new membership.
            string dUrl = SpikeCluster.Url(d);
            while (propagation.Elapsed < TimeSpan.FromSeconds(10)
                && !(await Task.WhenAll(new[] { b, d }.Select(cluster.StateAsync))).All(s => s?.Members.Any(m => m.EndPoint == dUrl) == true))
            {
                await Task.Delay(10);
            }
        }

        cluster[a].Kill();
        clock.Restart();
        int? leader = await cluster.WaitForLeaderAsync([b, d], TimeSpan.FromSeconds(20), majorityOf: 3);
        var commit = leader is null ? null : await cluster.ProposeAnywhereAsync([b, d], "after", TimeSpan.FromSeconds(10));
        Line($"trial {trial}: removed dead :{c} ({removed}); added :{d} on leader :{a} ({added}); killed :{a} {(waitForPropagation ? $"after {propagation.Elapsed.TotalMilliseconds:F0} ms of propagation" : "at once")}; "
            + (leader is null ? "NO LEADER among B and D within 20 s" : $"leader :{leader} after {clock.Elapsed.TotalMilliseconds:F0} ms, commit {(commit is null ? "NONE" : "ok")}"));
        if (leader is null)
        {
            await cluster.PrintStatesAsync("states", [b, d]);

            // Does the dead leader's return with its data dir unwedge it?
            cluster.Start(a, members, cluster[a].DataDir, path: null, ClusterKey, extra: "--seeded-membership");
            clock.Restart();
            int? back = await cluster.WaitForLeaderAsync([a, b, d], TimeSpan.FromSeconds(30), majorityOf: 3);
            var again = back is null ? null : await cluster.ProposeAnywhereAsync([a, b, d], "after-return", TimeSpan.FromSeconds(10));
            Line($"         restarted :{a} from its data dir: {(back is null ? "still no leader after 30 s" : $"leader :{back} after {clock.Elapsed.TotalMilliseconds:F0} ms, commit {(again is null ? "NONE" : "ok")}")}");
        }

        return leader is not null;
    }
}
