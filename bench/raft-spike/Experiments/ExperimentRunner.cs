using System.Diagnostics;

namespace RaftSpike.Experiments;

/// <summary>Runs the experiments one after another (two shared cores: never two clusters at once).</summary>
public static class ExperimentRunner
{
    public const string ClusterKey = "spike-cluster-key";

    private static readonly (string Name, string Title, Func<Task> Run)[] All =
    [
        ("a", "cold start: time to first leader and first commit", ColdStartExperiment.RunAsync),
        ("b", "replicate 100 small entries: latency", ReplicationExperiment.RunAsync),
        ("c", "SIGKILL the leader: time until a new leader commits", LeaderKillExperiment.RunAsync),
        ("d", "SIGKILL a follower, restart it at the same address (empty / persisted)", FollowerRestartExperiment.RunAsync),
        ("e", "membership change with a dead member (2 of 3 alive)", MembershipExperiment.RunAsync),
        ("f", "SIGSTOP the leader, SIGCONT it after a new leader committed", StalledLeaderExperiment.RunAsync),
        ("g", "empty restart vs Raft's durability assumption: is an acknowledged entry lost?", EmptyRestartLossExperiment.RunAsync),
        ("h", "the incarnation in the member URL: a restarted process as a new member", IncarnationIdentityExperiment.RunAsync),
        ("i", "a process with the wrong cluster key", ForeignKeyExperiment.RunAsync),
        ("j", "WAL across chunk boundaries (#292) and a whole-cluster restart from disk", WalRestartExperiment.RunAsync),
        ("k", "cold start + add one at a time, persistent membership, replace a member, restart all", PersistentMembershipExperiment.RunAsync),
        ("l", "seeded membership (in memory / persistent file) + log on disk: replace a member, restart all with the stale seed", StaleSeedRestartExperiment.RunAsync),
        ("m", "remove a dead member, add a replacement, SIGKILL the leader at once: can the rest elect?", AddThenLeaderDiesExperiment.RunAsync),
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => SpikeCluster.KillAll();
        Console.CancelKeyPress += (_, _) => SpikeCluster.KillAll();
        var chosen = args.Length == 0 ? All : All.Where(e => args.Contains(e.Name)).ToArray();
        int failures = 0;
        try
        {
            foreach (var (name, title, run) in chosen)
            {
                Console.WriteLine();
                Console.WriteLine($"=== ({name}) {title}");
                var clock = Stopwatch.StartNew();
                try
                {
                    await run();
                }
                catch (Exception e)
                {
                    failures++;
                    Console.WriteLine($"    EXPERIMENT ABORTED: {e.GetType().Name}: {e.Message}");
                }
                finally
                {
                    SpikeCluster.KillAll();
                }

                Console.WriteLine($"    ({name}) took {clock.Elapsed.TotalSeconds:F1} s");
            }
        }
        finally
        {
            SpikeCluster.KillAll();
        }

        return failures == 0 ? 0 : 1;
    }

    public static void Line(string text) => Console.WriteLine("    " + text);
}
