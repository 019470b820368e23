using ShardedKvs.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ShardedKvs.Tests.Cluster.Replication;

/// <summary>
/// The random fault schedule's own rules, without processes: over many seeds it reaches every kind
/// of step, never takes more than R − 1 nodes down between two settles, and never leaves the cluster
/// without two connected members that are up.
/// </summary>
public class FaultScheduleTests(ITestOutputHelper output)
{
    private const int Hosts = 5;

    [Fact]
    public void Over_many_seeds_every_step_kind_is_drawn_and_the_fault_budget_holds()
    {
        var drawn = new Dictionary<FaultKind, int>(); // the first seed that drew each kind, to replay
        for (int seed = 1; seed <= 2000; seed++)
        {
            var random = new SeededRandom(seed);
            var schedule = new FaultSchedule(Hosts);
            int faults = 0;
            int? cut = null;
            for (int step = 0; step < 8; step++)
            {
                FaultStep next = schedule.Choose(random);
                drawn.TryAdd(next.Kind, seed);
                switch (next.Kind)
                {
                    case FaultKind.Kill or FaultKind.Cut:
                        faults++;
                        Assert.True(faults <= 2, $"seed {seed}: a third fault before a settle");
                        Assert.True(schedule.IsRunning(next.Node) && cut != next.Node, $"seed {seed}: {next} takes down a node already down");
                        break;
                    case FaultKind.Settle:
                        Assert.Null(cut);
                        faults = 0;
                        break;
                    case FaultKind.Remove or FaultKind.RestartAndAdd:
                        Assert.True(faults == 0 && cut is null && schedule.PendingChange is null, $"seed {seed}: a view change sent while the cluster is not quiet");
                        Assert.True(schedule.IsRunning(next.Via), $"seed {seed}: a view change sent through a node that is down");
                        schedule.PendingChange = (Task.FromResult<KvsResponse>(null!), next.Via);
                        break;
                }

                if (next.Kind == FaultKind.Cut)
                {
                    cut = next.Node;
                }
                else if (next.Kind == FaultKind.Heal)
                {
                    cut = null;
                }

                schedule.Took(next);
                Assert.True(schedule.Running.Count(n => n != cut) >= 2, $"seed {seed}: fewer than two connected members up after {next}");
            }
        }

        output.WriteLine(string.Join(", ", drawn.Select(d => $"{d.Key} first with seed {d.Value}")));
        Assert.Equal(Enum.GetValues<FaultKind>().ToHashSet(), drawn.Keys.ToHashSet());
    }
}
