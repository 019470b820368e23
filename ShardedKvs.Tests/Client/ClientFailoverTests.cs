using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using ShardedKvs.Client;
using ShardedKvs.Ring;
using ShardedKvs.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ShardedKvs.Tests.Client;

/// <summary>
/// Issue 12's failover test: one <see cref="ShardedKvsClient"/>, shared by several tasks that write
/// and read, against five real node processes (R = 3) while one of them, the client's only seed, is
/// SIGKILLed (and, in the second test, restarted: it rejoins empty, is filled, and serves again). No
/// read fails; no write fails except those the client reports as outcome-unknown; every acknowledged
/// write is read back; and once its view is fresh the client causes no forwards.
/// </summary>
[Collection(ClientFailoverCollection.Name)]
public sealed class ClientFailoverTests(ITestOutputHelper output)
{
    private const int Workers = 8;
    private const int KeysPerWorker = 25;
    private const int OperationsBetweenSteps = 300;
    private const int Victim = 0;

    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(30);

    private static readonly Dictionary<string, string> Replicated = new() { ["Kvs__ReplicationFactor"] = "3" };

    private readonly WriteLedger _ledger = new();
    private readonly ConcurrentQueue<string> _unknownWrites = new();
    private readonly ConcurrentQueue<string> _failedWrites = new();
    private readonly ConcurrentQueue<string> _failedReads = new();
    private readonly ConcurrentQueue<string> _wrongReads = new();
    private long _operations;

    [Fact]
    public Task Through_a_killed_node_no_read_fails_no_write_fails_unless_reported_unknown_and_no_acknowledged_write_is_lost() =>
        RunThroughAKillAsync(restart: false);

    [Fact]
    public Task When_the_killed_node_restarts_and_rejoins_the_client_keeps_working_and_routes_to_it_again() =>
        RunThroughAKillAsync(restart: true);

    /// <summary>Clients run while the victim is killed (and, with <paramref name="restart"/>, started
    /// again to rejoin) until the cluster serves again; then nothing failed, nothing was lost, and a
    /// fresh view causes no forwards.</summary>
    private async Task RunThroughAKillAsync(bool restart)
    {
        await using ProcessCluster cluster = await ProcessCluster.StartAsync(nodes: 5, initialViewSize: 5, Replicated);
        using var counter = new ForwardedAnswerCounter();
        using ShardedKvsClient client = ClientOf(cluster, counter);
        var clock = Stopwatch.StartNew();
        int serving = restart ? 5 : 4;

        using (var stop = new CancellationTokenSource())
        {
            Task[] workers = [.. Enumerable.Range(0, Workers).Select(w => Task.Run(() => WorkAsync(client, w, stop.Token)))];
            await OperationsAsync(OperationsBetweenSteps, "the clients to run");

            await KillAndWaitForExclusionAsync(cluster, clock);
            if (restart)
            {
                cluster.Restart(Victim);
                output.WriteLine($"{cluster.Addresses[Victim]} restarted at {clock.Elapsed.TotalSeconds:F1} s");
            }

            long epoch = await ServingAgainAsync(cluster, serving);
            output.WriteLine($"{(restart ? "rejoined, filled and serving" : "re-replication done")} at {clock.Elapsed.TotalSeconds:F1} s (epoch {epoch})");
            await OperationsAsync(OperationsBetweenSteps, restart ? "the clients to run after the rejoin" : "the clients to run after re-replication");
            await stop.CancelAsync();
            await Task.WhenAll(workers);
        }

        await AssertNothingFailedAndNothingLostAsync(client, cluster);
        await AssertNoForwardsOnceTheViewIsFreshAsync(client, counter, cluster, serving);
        if (restart)
        {
            Assert.Equal("serving", client.CurrentView!.MemberStates[cluster.Addresses[Victim]]);
        }
    }

    private static ShardedKvsClient ClientOf(ProcessCluster cluster, ForwardedAnswerCounter counter)
    {
        var options = new ShardedKvsClientOptions();
        options.Endpoints.Add(cluster.Addresses[Victim]); // the client's only seed is the node that dies
        return new ShardedKvsClient(options, counter);
    }

    private async Task KillAndWaitForExclusionAsync(ProcessCluster cluster, Stopwatch clock)
    {
        TimeSpan killedAt = clock.Elapsed;
        cluster.Kill(Victim);
        await Eventually.WaitUntilAsync(
            async () => (await SurvivorViewsAsync(cluster)).All(v => MemberState(v, cluster.Addresses[Victim]) is "excluded" or null),
            Bounded,
            "the survivors to exclude the killed node");
        output.WriteLine($"{cluster.Addresses[Victim]} killed at {killedAt.TotalSeconds:F1} s, excluded by every survivor {(clock.Elapsed - killedAt).TotalMilliseconds:F0} ms later");
        await OperationsAsync(OperationsBetweenSteps, "the clients to run after the exclusion");
    }

    private async Task AssertNothingFailedAndNothingLostAsync(ShardedKvsClient client, ProcessCluster cluster)
    {
        ShardedKvsView own = client.CurrentView!;
        output.WriteLine($"{Interlocked.Read(ref _operations)} operations by {Workers} tasks; the client's own view: epoch {own.Epoch}, " +
            $"{cluster.Addresses[Victim]} {own.MemberStates.GetValueOrDefault(cluster.Addresses[Victim], "absent")}");
        output.WriteLine($"{_unknownWrites.Count} writes reported as outcome-unknown");
        foreach (string unknown in _unknownWrites)
        {
            output.WriteLine($"  {unknown}");
        }

        Assert.True(_failedReads.IsEmpty, $"{_failedReads.Count} reads failed: {string.Join("; ", _failedReads.Take(5))}");
        Assert.True(_failedWrites.IsEmpty, $"{_failedWrites.Count} writes failed: {string.Join("; ", _failedWrites.Take(5))}");
        Assert.True(_wrongReads.IsEmpty, $"{_wrongReads.Count} reads saw a value no write explains: {string.Join("; ", _wrongReads.Take(5))}");

        // Every acknowledged write is there (or a later write of unknown outcome that landed).
        foreach (string key in _ledger.Keys)
        {
            string? read = await client.GetAsync(key);
            Assert.True(_ledger.Accepts(key, read), $"{key}: read {read ?? "nothing"}, {_ledger.Describe(key)}");
        }
    }

    /// <summary>Once the client's view is the cluster's (the refresh the health check makes), none of its
    /// requests is forwarded; and the counter does count a request sent elsewhere.</summary>
    private static async Task AssertNoForwardsOnceTheViewIsFreshAsync(ShardedKvsClient client, ForwardedAnswerCounter counter, ProcessCluster cluster, int serving)
    {
        long epoch = await ServingAgainAsync(cluster, serving);
        await Eventually.Until("the client to fetch the cluster's configuration", Bounded,
            async ct => (await client.FetchViewAsync(ct))?.Epoch, e => e == epoch);
        long before = counter.Forwarded;
        string[] keys = [.. Enumerable.Range(0, Workers * KeysPerWorker).Select(i => $"fresh-{i}")];
        foreach (string key in keys)
        {
            await client.PutAsync(key, "after");
            Assert.Equal("after", await client.GetAsync(key));
            Assert.True(await client.DeleteAsync(key));
        }

        Assert.Equal(0, counter.Forwarded - before);

        string[] live = [.. client.CurrentView!.MemberStates.Where(m => m.Value == "serving").Select(m => m.Key)];
        Assert.Equal(serving, live.Length);
        var ring = new TokenRing([.. live], replicationFactor: 3);
        string notPrimary = live.First(n => n != ring.OwnerOf(keys[0]));
        using var plain = new HttpMessageInvoker(counter, disposeHandler: false);
        using HttpResponseMessage forwarded = await plain.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"http://{notPrimary}/kvs/keys/{keys[0]}"), CancellationToken.None);
        Assert.Equal(before + 1, counter.Forwarded);
    }

    private async Task WorkAsync(ShardedKvsClient client, int worker, CancellationToken stop)
    {
        for (int round = 0; !stop.IsCancellationRequested || round < 1; round++)
        {
            for (int i = 0; i < KeysPerWorker; i++)
            {
                string key = $"w{worker}-k{i}";
                string value = $"w{worker}-k{i}-r{round}";
                try
                {
                    // Stopping ends the loop between operations, never one under way (that would make its outcome unknown).
                    await client.PutAsync(key, value, CancellationToken.None);
                    _ledger.Acknowledged(key, value);
                }
                catch (ShardedKvsOutcomeUnknownException e)
                {
                    _ledger.Unknown(key, value);
                    _unknownWrites.Enqueue($"{key}={value}: {e.Message}");
                }
                catch (Exception e)
                {
                    _failedWrites.Enqueue($"{key}={value}: {e}");
                }

                try
                {
                    string? read = await client.GetAsync(key, CancellationToken.None);
                    if (!_ledger.Accepts(key, read))
                    {
                        _wrongReads.Enqueue($"{key}: read {read ?? "nothing"}, {_ledger.Describe(key)}");
                    }
                }
                catch (Exception e)
                {
                    _failedReads.Enqueue($"{key}: {e}");
                }

                Interlocked.Add(ref _operations, 2);
            }
        }
    }

    private Task OperationsAsync(long count, string what)
    {
        long target = Interlocked.Read(ref _operations) + count;
        return Eventually.WaitUntilAsync(() => Task.FromResult(Interlocked.Read(ref _operations) >= target), Bounded, what);
    }

    /// <summary>Waits until every running node runs one configuration without a fill in which the
    /// <paramref name="serving"/> running nodes all serve; returns its epoch.</summary>
    private static async Task<long> ServingAgainAsync(ProcessCluster cluster, int serving)
    {
        string[] running = [.. cluster.Addresses.Where((_, i) => cluster.IsRunning(i))];
        JsonObject[] views = await Eventually.Until("every running node to serve one configuration without a fill", Bounded,
            async _ => (await Task.WhenAll(Enumerable.Range(0, cluster.Addresses.Length).Where(cluster.IsRunning).Select(cluster.ViewAsync))).OfType<JsonObject>().ToArray(),
            views => running.Length == serving && views.Length == serving
                && views.All(v => v["fill"] is null && v["state"]?.GetValue<string>() == "serving")
                && views.Select(v => v["epoch"]!.GetValue<long>()).Distinct().Count() == 1
                && views.All(v => running.All(s => MemberState(v, s) == "serving")));
        return views[0]["epoch"]!.GetValue<long>();
    }

    private static async Task<JsonObject[]> SurvivorViewsAsync(ProcessCluster cluster)
    {
        JsonObject?[] views = await Task.WhenAll(Enumerable.Range(0, cluster.Addresses.Length).Where(i => i != Victim).Select(cluster.ViewAsync));
        return [.. views.OfType<JsonObject>()];
    }

    private static string? MemberState(JsonObject view, string address) =>
        view["members"]?.AsArray().FirstOrDefault(m => m?["address"]?.GetValue<string>() == address)?["state"]?.GetValue<string>();
}
