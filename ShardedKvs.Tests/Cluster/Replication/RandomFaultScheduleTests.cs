using ShardedKvs.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ShardedKvs.Tests.Cluster.Replication;

/// <summary>
/// Faults in an order no one wrote down: a printed seed draws a schedule of SIGKILLs, partitions,
/// restarts, heals and view changes on five hosts (R = 3) under 12 clients, often the next fault
/// before the last one is repaired: a kill during the fill that follows a partition, a fill source
/// killed, a removed node restarted and added back while another dies. The schedule only keeps what
/// the promise needs: a majority of voters stays up and connected, and no more than R − 1 copies of
/// a key are lost before its fills end. Half the schedules also run over lossy links (every node drops
/// one packet in 20 to 50 from each other node, so calls of every kind now and then wait for a TCP
/// retransmission), and half, drawn apart, over slow ones (whatever a node's peers send it arrives 1 to
/// 16 ms late, see <see cref="DelayRelay"/>). The history must stay linearizable, no acknowledged write may be lost, keys no
/// victim held never fail, and every key must end on exactly its replicas.
/// `bench/fault-soak.sh` runs it with new seeds for as long as it is given.
/// </summary>
[Collection(NetworkNamespaceCollection.Name)]
public sealed class RandomFaultScheduleTests(ITestOutputHelper output)
{
    private const int Hosts = 5;
    private const int Keys = 150;
    private const int Port = 5090;
    private const int Steps = 8;
    private const int LinkSeedMask = 0x2b1f_0a37;

    [NetworkNamespaceFact("iptables")]
    public Task A_random_schedule_of_kills_partitions_restarts_and_view_changes_loses_nothing()
    {
        var random = new SeededRandom(FaultSeed.Choose());
        output.WriteLine($"fault seed {random.Seed} ({FaultSeed.Variable}={random.Seed} replays it)");
        return FaultSeed.ReplayableAsync(random.Seed, () => RunAsync(random));
    }

    private async Task RunAsync(SeededRandom random)
    {
        using var network = new NetworkNamespaces(Hosts);

        // The links are drawn from a seed of their own, derived from the printed one, so that a seed
        // drawn before links could be lossy still replays the schedule it found.
        var links = new SeededRandom(random.Seed ^ LinkSeedMask);
        bool lossy = links.Percent(50);
        if (lossy)
        {
            network.DropBetweenAll(links, 20, 51);
            output.WriteLine("lossy links: every node drops one packet in 20 to 50 from each other node");
        }

        bool slow = links.Percent(50);
        if (slow)
        {
            IReadOnlyList<(int Host, int DelayMs)> delays = network.DelayBetweenAll(links, Port, 1, 9);
            output.WriteLine($"slow links: node i receives its peers' traffic d to 2d ms late, d = {string.Join(", ", delays.Select(d => $"{d.DelayMs} (node {d.Host})"))}");
        }

        await using ProcessCluster cluster = await ProcessCluster.StartInAsync(
            network, Hosts, Port, initialViewSize: Hosts, new Dictionary<string, string> { ["Kvs__ReplicationFactor"] = "3" });
        using var run = new FailoverRun(cluster, output, Keys, operationsBetweenSteps: 200, seed: random.Seed, overlappingFaults: true);
        var schedule = new FaultSchedule(Hosts);
        await run.StartAsync();

        for (int step = 1; step <= Steps; step++)
        {
            FaultStep next = schedule.Choose(random);
            output.WriteLine($"step {step}: {next}");
            await TakeAsync(next, cluster, network, run, schedule);
        }

        if (schedule.CutOff is { } cut)
        {
            output.WriteLine($"last: heal {cut}");
            await TakeAsync(new FaultStep(FaultKind.Heal, cut), cluster, network, run, schedule);
        }

        output.WriteLine("last: settle");
        await TakeAsync(new FaultStep(FaultKind.Settle, -1), cluster, network, run, schedule);
        if (lossy)
        {
            long dropped = Enumerable.Range(0, Hosts).Sum(network.DroppedPackets);
            output.WriteLine($"the nodes dropped {dropped} packets from each other");
            Assert.True(dropped > 0, "the links lost nothing: the schedule did not run over the network it printed");
        }

        if (slow)
        {
            long delayed = network.DelayedBytes();
            output.WriteLine($"the slow links carried {delayed} bytes");
            Assert.True(delayed > 0, "no peer traffic went through the slow links: the schedule did not run over the network it printed");
        }

        await run.FinishAsync(expectedNodes: schedule.Running.Count());
    }

    private async Task TakeAsync(FaultStep step, ProcessCluster cluster, NetworkNamespaces network, FailoverRun run, FaultSchedule schedule)
    {
        int node = step.Node;
        int[] others = [.. Enumerable.Range(0, Hosts).Where(i => i != node)];
        switch (step.Kind)
        {
            case FaultKind.Kill:
                await run.KillAndWaitForExclusionAsync(node, schedule.Views);
                break;
            case FaultKind.Cut:
                run.NoteKeysOf(node, cutOff: true, schedule.Views);
                network.Cut(node, others);
                await run.WaitForExclusionAsync(node, "cut off");
                break;
            case FaultKind.Heal:
                network.Heal(node, others);
                run.Healed(node);
                break;
            case FaultKind.Restart:
                run.Restart(node);
                break;
            case FaultKind.Remove:
            case FaultKind.RestartAndAdd:
                if (step.Kind == FaultKind.RestartAndAdd)
                {
                    run.Restart(node);
                    // A view change naming a node that does not answer yet is refused: wait until it does.
                    await Eventually.WaitUntilAsync(async () => await cluster.StateAsync(node) is not null, TimeSpan.FromSeconds(60), $"node {node} to answer");
                }

                int[] view = [.. schedule.NextView(step)];
                schedule.PendingChange = (cluster.Clients[step.Via].ChangeViewAsync(cluster.ViewOf(view)), step.Via);
                break;
            case FaultKind.Settle:
                if (schedule.PendingChange is ({ } change, int coordinator))
                {
                    Exception? failed = await Record.ExceptionAsync(async () =>
                    {
                        KvsResponse answer = await change;
                        Assert.True(answer.Status == System.Net.HttpStatusCode.OK, answer.ToString());
                    });
                    output.WriteLine(failed is null ? "  the view change was answered 200"
                        : $"  the view change sent to node {coordinator} failed: {failed.Message}");
                    if (failed is not null && !schedule.CoordinatorKilled)
                    {
                        throw new InvalidOperationException($"The view change sent to node {coordinator}, never killed, failed", failed);
                    }
                }

                await run.WaitForReplicationAsync(expectedNodes: schedule.Running.Count());
                break;
        }

        schedule.Took(step);
    }
}
