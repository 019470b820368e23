using System.Collections.Concurrent;
using System.Net;
using ShardedKvs.Client;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Client;

/// <summary>
/// Clients keep working through view changes, with one copy per key and with three: every call
/// succeeds, and every acknowledged write is read back afterwards. (Failover: ClientFailoverTests.)
/// </summary>
public sealed class ClientViewChangeTests
{
    private const int Workers = 6;
    private const int KeysPerWorker = 40;

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Adding_then_removing_a_node_while_clients_run_fails_no_operation(int replicationFactor)
    {
        await using TestCluster cluster = await TestCluster.StartAsync(nodes: 4, initialViewSize: 3, new Dictionary<string, string?>
        {
            ["Kvs:ReplicationFactor"] = replicationFactor.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var options = new ShardedKvsClientOptions();
        options.Endpoints.Add(cluster[0].Address);
        using var client = new ShardedKvsClient(options);

        var acknowledged = new ConcurrentDictionary<string, string>();
        var failures = new ConcurrentQueue<string>();
        long operations = 0;
        using var stop = new CancellationTokenSource();

        Task[] workers = [.. Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            for (int round = 0; !stop.IsCancellationRequested || round < 2; round++)
            {
                for (int i = 0; i < KeysPerWorker; i++)
                {
                    string key = $"w{w}-k{i}";
                    string value = $"r{round}";
                    try
                    {
                        await client.PutAsync(key, value);
                        acknowledged[key] = value;
                        string? read = await client.GetAsync(key);
                        if (read != value)
                        {
                            failures.Enqueue($"{key}: wrote {value}, read {read ?? "nothing"}");
                        }

                        Interlocked.Add(ref operations, 2);
                    }
                    catch (ShardedKvsException e)
                    {
                        failures.Enqueue($"{key}: {e.GetType().Name}: {e.Message}");
                    }
                }
            }
        }))];

        // Let the clients get going, then change the view twice under them.
        await Eventually.WaitUntilAsync(() => Task.FromResult(Interlocked.Read(ref operations) > 200), TimeSpan.FromSeconds(30), "the clients to run");
        KvsResponse added = await cluster[0].Client.ChangeViewAsync(cluster.ViewOf(0, 1, 2, 3));
        Assert.True(added.Status == HttpStatusCode.OK, added.ToString());
        long afterAdd = Interlocked.Read(ref operations);
        await Eventually.WaitUntilAsync(() => Task.FromResult(Interlocked.Read(ref operations) > afterAdd + 200), TimeSpan.FromSeconds(30), "the clients to run on the new view");
        KvsResponse removed = await cluster[1].Client.ChangeViewAsync(cluster.ViewOf(1, 2, 3));
        Assert.True(removed.Status == HttpStatusCode.OK, removed.ToString());
        long afterRemove = Interlocked.Read(ref operations);
        await Eventually.WaitUntilAsync(() => Task.FromResult(Interlocked.Read(ref operations) > afterRemove + 200), TimeSpan.FromSeconds(30), "the clients to run on the last view");
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        Assert.Empty(failures);
        Assert.Equal(Workers * KeysPerWorker, acknowledged.Count);
        foreach ((string key, string value) in acknowledged)
        {
            Assert.Equal(value, await client.GetAsync(key));
        }

        // The client follows the views (replicated clusters decide several epochs per change: the
        // change, then the switch once the new replicas are filled).
        long epoch = cluster[1].Snapshot.Current.Epoch;
        ShardedKvsView? view = await Eventually.Until("the client to route by the last view", TimeSpan.FromSeconds(10),
            ct => client.FetchViewAsync(ct), v => v?.Epoch == epoch);
        Assert.Equal(cluster.ViewOf(1, 2, 3).Split(','), view!.Nodes);
        Assert.Equal(replicationFactor, view.ReplicationFactor);
    }
}
