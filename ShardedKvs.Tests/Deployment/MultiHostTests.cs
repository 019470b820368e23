using System.Net;
using System.Text;
using ShardedKvs.Ring;
using ShardedKvs.Tests.Cluster.Replication;
using ShardedKvs.ServiceDefaults;
using ShardedKvs.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ShardedKvs.Tests.Deployment;

/// <summary>
/// The deployment the store replaces (one container per node on a subnet, every node on port
/// 13800), done with one network namespace per host and the published node, the files the image
/// carries. Every node runs with three copies of each key (Kvs__ReplicationFactor=3, the product
/// default, set explicitly). Each test builds its own hosts and removes them afterwards.
/// </summary>
[Collection(NetworkNamespaceCollection.Name)]
public sealed class MultiHostTests(PublishedNodeFixture published, ITestOutputHelper output)
{
    private const int ReplicationFactor = 3;
    private const int Keys = 90;
    private const int FailoverHosts = 5;
    private const int FailoverKeys = 150;
    private const int Ok = 200;
    private const int NotReady = 503;

    [PublishedNodeFact]
    public async Task Nodes_on_separate_hosts_are_alive_at_once_and_ready_only_when_serving()
    {
        using var network = new NetworkNamespaces(hosts: 4);
        await using var cluster = new HostCluster(network, await published.ExecutableAsync(), hosts: 4, ReplicationFactor);
        string view = cluster.ViewOf(0, 1, 2);

        // Two of the three members: alive, but forming, so not ready.
        cluster.Start(0, view);
        cluster.Start(1, view);
        foreach (int host in new[] { 0, 1 })
        {
            await cluster.WaitForAsync(host, HealthEndpoints.AlivePath, Ok);
            var health = await cluster.ProbeAsync(host, HealthEndpoints.HealthPath);
            Assert.Equal(NotReady, health?.Status);
            Assert.Contains("forming", health?.Body, StringComparison.Ordinal);
        }

        // The last member arrives: the three serve; a fourth host outside the view is alive and idle, not ready.
        cluster.Start(2, view);
        cluster.Start(3, view);
        foreach (int host in new[] { 0, 1, 2 })
        {
            await cluster.WaitForAsync(host, HealthEndpoints.HealthPath, Ok);
        }

        await cluster.WaitForAsync(3, HealthEndpoints.AlivePath, Ok);
        var idle = await cluster.ProbeAsync(3, HealthEndpoints.HealthPath);
        output.WriteLine($"idle host: {idle}");
        Assert.Equal(NotReady, idle?.Status);
        Assert.Contains("idle: not in the view", idle?.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await cluster.Clients[3].GetKeyAsync("anything")).Status);
        for (int host = 0; host < 4; host++)
        {
            Assert.Equal(host < 3 ? "serving" : "idle", (await cluster.Clients[host].SendAsync(HttpMethod.Get, "/kvs/view")).Field("state"));
        }

        // The members run the replicated protocol, each of them in sync.
        KvsResponse members = await cluster.Clients[0].SendAsync(HttpMethod.Get, "/kvs/view");
        Assert.Equal(ReplicationFactor, members.Body["replicationFactor"]?.GetValue<int>());
        Assert.Equal(["serving", "serving", "serving"], members.Body["members"]!.AsArray().Select(m => m!["state"]!.GetValue<string>()));
    }

    /// <summary>
    /// The published node is compiled Native AOT, where JSON has no reflection to fall back on: the
    /// answers the API tests check on the JIT's build, bad input above all, must come out the same.
    /// </summary>
    [PublishedNodeFact]
    public async Task The_published_node_answers_good_and_bad_input_with_the_same_json()
    {
        using var network = new NetworkNamespaces(hosts: 1);
        await using HostCluster cluster = await StartAsync(network, hosts: 1, viewSize: 1);
        (HttpMethod Method, string Path, string? Body, int Status, string Answer)[] exchanges =
        [
            (HttpMethod.Put, "/kvs/keys/k", """{"value":"v"}""", 201, """{"message":"Added successfully","replaced":false}"""),
            (HttpMethod.Put, "/kvs/keys/k", """{"value""", 400, """{"error":"Invalid JSON body","message":"Error in PUT"}"""),
            (HttpMethod.Put, "/kvs/keys/k", "{}", 400, """{"error":"Value is missing","message":"Error in PUT"}"""),
            (HttpMethod.Put, "/kvs/keys/k", """{"value":5}""", 400, """{"error":"Value must be a string","message":"Error in PUT"}"""),
            (HttpMethod.Get, "/kvs/keys/k", null, 200, """{"doesExist":true,"message":"Retrieved successfully","value":"v"}"""),
            (HttpMethod.Get, "/kvs/keys/missing", null, 404, """{"doesExist":false,"error":"Key does not exist","message":"Error in GET"}"""),
            (HttpMethod.Post, "/kvs/keys/k", null, 405, """{"error":"Method not allowed on this endpoint","message":"Error in POST"}"""),
            (HttpMethod.Get, "/kvs/no-such-thing", null, 404, """{"error":"No such endpoint","message":"Error in GET"}"""),
            (HttpMethod.Put, "/kvs/view-change", """{"view":""", 400, """{"error":"Invalid JSON body","message":"Error in PUT"}"""),
            (HttpMethod.Put, "/kvs/view-change", "{}", 400, """{"error":"View is missing","message":"Error in PUT"}"""),
            (HttpMethod.Put, "/kvs/view-change", """{"view":"bad"}""", 400, """{"error":"Invalid address in view: \u0027bad\u0027 (expected host:port)","message":"Error in PUT"}"""),
            (HttpMethod.Delete, "/kvs/keys/k", null, 200, """{"doesExist":true,"message":"Deleted successfully"}"""),
            (HttpMethod.Get, "/kvs/key-count", null, 200, """{"message":"Key count retrieved successfully","key-count":0,"replica-key-count":0}"""),
        ];

        foreach ((HttpMethod method, string path, string? body, int status, string answer) in exchanges)
        {
            using var request = new HttpRequestMessage(method, path);
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            }

            using HttpResponseMessage response = await cluster.Clients[0].SendAsync(request);
            Assert.Equal((status, answer), ((int)response.StatusCode, await response.Content.ReadAsStringAsync()));
        }
    }

    [PublishedNodeFact]
    public async Task Course_scenario_across_hosts_on_the_same_port()
    {
        using var network = new NetworkNamespaces(hosts: 3);
        await using HostCluster cluster = await StartAsync(network, hosts: 3, viewSize: 3);
        HttpClient[] clients = cluster.Clients;
        var ring = new TokenRing([.. Enumerable.Range(0, 3).Select(cluster.AddressOf)]);

        for (int i = 0; i < Keys; i++)
        {
            KvsResponse added = await clients[i % 3].PutAsync($"key{i}", $"value{i}");
            Assert.Equal(HttpStatusCode.Created, added.Status);
            Assert.Equal("Added successfully", added.Field("message"));
        }

        for (int i = 0; i < Keys; i++)
        {
            KvsResponse updated = await clients[(i + 1) % 3].PutAsync($"key{i}", $"updated{i}");
            Assert.Equal(HttpStatusCode.OK, updated.Status);
            Assert.True(updated.Bool("replaced"));
        }

        int forwarded = 0;
        for (int i = 0; i < Keys; i++)
        {
            int via = (i + 2) % 3;
            KvsResponse read = await clients[via].GetKeyAsync($"key{i}");
            Assert.Equal(HttpStatusCode.OK, read.Status);
            Assert.Equal($"updated{i}", read.Field("value"));

            // An answer from another host names the owner by its address on the subnet.
            string owner = ring.OwnerOf($"key{i}");
            Assert.Equal(owner == cluster.AddressOf(via) ? null : owner, read.Field("address"));
            forwarded += read.Field("address") is null ? 0 : 1;
        }

        int[] counts = await KeyCountsAsync(cluster, 0, 1, 2);
        output.WriteLine($"key counts {string.Join(", ", counts)}; {forwarded} of {Keys} reads forwarded");
        Assert.Equal(Keys, counts.Sum());
        Assert.All(counts, count => Assert.True(count > 0, "every host owns some keys"));
        await AssertEveryKeyOnExactlyItsReplicasAsync(cluster, Keys, [0, 1, 2]);

        for (int i = 0; i < Keys / 3; i++)
        {
            KvsResponse deleted = await clients[i % 3].DeleteKeyAsync($"key{i}");
            Assert.Equal(HttpStatusCode.OK, deleted.Status);
            Assert.Equal(HttpStatusCode.NotFound, (await clients[(i + 1) % 3].GetKeyAsync($"key{i}")).Status);
        }

        Assert.Equal(Keys - (Keys / 3), (await KeyCountsAsync(cluster, 0, 1, 2)).Sum());
        await AssertEveryKeyOnExactlyItsReplicasAsync(cluster, Keys - (Keys / 3), [0, 1, 2]);
    }

    [PublishedNodeFact]
    public async Task View_changes_add_a_host_then_remove_one_and_every_key_stays_readable()
    {
        using var network = new NetworkNamespaces(hosts: 4);
        await using HostCluster cluster = await StartAsync(network, hosts: 4, viewSize: 3);
        HttpClient[] clients = cluster.Clients;
        for (int i = 0; i < Keys; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await clients[i % 3].PutAsync($"key{i}", $"value{i}")).Status);
        }

        // Without the admin key a view change is refused, as on any deployment that sets ADMIN_KEY.
        using (var anonymous = new HttpClient { BaseAddress = clients[1].BaseAddress })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.ChangeViewAsync(cluster.ViewOf(0, 1, 2, 3))).Status);
        }

        // Add host 3.
        KvsResponse added = await clients[1].ChangeViewAsync(cluster.ViewOf(0, 1, 2, 3));
        output.WriteLine($"add host 3: {added}");
        Assert.Equal(HttpStatusCode.OK, added.Status);
        await cluster.WaitForAsync(3, HealthEndpoints.HealthPath, Ok);
        await AssertEveryKeyOnExactlyItsReplicasAsync(cluster, Keys, [0, 1, 2, 3]);
        int[] afterAdd = await KeyCountsAsync(cluster, 0, 1, 2, 3);
        Assert.True(afterAdd[3] > 0, "the new host received keys");
        await AssertEveryKeyReadableAsync(cluster, through: [0, 1, 2, 3]);

        // Remove host 0, through a host that stays.
        KvsResponse removed = await clients[2].ChangeViewAsync(cluster.ViewOf(1, 2, 3));
        output.WriteLine($"remove host 0: {removed}");
        Assert.Equal(HttpStatusCode.OK, removed.Status);

        // The removed host learns of the switch from the others (on a starved machine, a moment after
        // the answer): then it is idle, not ready, and holds nothing.
        await cluster.WaitForAsync(0, HealthEndpoints.HealthPath, NotReady);
        Assert.Contains("idle", (await cluster.ProbeAsync(0, HealthEndpoints.HealthPath))?.Body, StringComparison.Ordinal);
        await AssertEveryKeyOnExactlyItsReplicasAsync(cluster, Keys, [1, 2, 3]);
        Assert.Equal(0, await clients[0].KeyCountAsync());
        await AssertEveryKeyReadableAsync(cluster, through: [1, 2, 3]);
    }

    /// <summary>
    /// A host dies with its machine: its namespace is torn down (every process in it killed, its
    /// address gone) while 12 clients read, write and delete through the other hosts. The survivors
    /// exclude it without any operator action, its keys fail over to their next replicas, the keys
    /// of other hosts never fail, every acknowledged write survives (every key's history, ending
    /// with a read of every key, is linearizable), and re-replication brings every key back to three
    /// copies on the four hosts left. The output reports how long the torn-down host's keys were
    /// unavailable. The seed picks the host and the clients' choices; it is printed for a replay.
    /// </summary>
    [PublishedNodeFact]
    public async Task A_torn_down_host_fails_over_to_the_next_replicas_and_no_acknowledged_write_is_lost()
    {
        int seed = FaultSeed.Choose();
        int victim = new Random(seed).Next(FailoverHosts);
        output.WriteLine($"seed {seed} (replay with {FaultSeed.Variable}={seed}): host {victim} will be torn down");
        await FaultSeed.ReplayableAsync(seed, async () =>
        {
            using var network = new NetworkNamespaces(hosts: FailoverHosts);
            await using HostCluster cluster = await StartAsync(network, hosts: FailoverHosts, viewSize: FailoverHosts);
            using var run = new FailoverRun(cluster, output, FailoverKeys, operationsBetweenSteps: 600, seed);
            await WithHostLogsOnFailureAsync(cluster, async () =>
            {
                await run.StartAsync();
                await run.TakeDownAndWaitForExclusionAsync(victim, "torn down", () => cluster.TearDown(victim));
                await run.WaitForReplicationAsync(expectedNodes: FailoverHosts - 1);
                await run.FinishAsync(expectedNodes: FailoverHosts - 1);
            });
        });
    }

    /// <summary>
    /// A rolling restart as the StatefulSet's RollingUpdate does it, on three hosts holding every
    /// key three times: the highest ordinal first, each node killed, started again empty, and the
    /// next one killed as soon as the restarted one is ready (/health 200), nothing else waited for.
    /// Readiness must therefore mean "filled": were it ready while still a learner, the next kill
    /// would leave some key without its last acknowledged write, and the history would show it.
    /// </summary>
    [PublishedNodeFact]
    public async Task A_rolling_restart_that_waits_only_for_readiness_loses_no_acknowledged_write()
    {
        int seed = FaultSeed.Choose();
        output.WriteLine($"seed {seed} (replay with {FaultSeed.Variable}={seed})");
        await FaultSeed.ReplayableAsync(seed, async () =>
        {
            using var network = new NetworkNamespaces(hosts: 3);
            await using HostCluster cluster = await StartAsync(network, hosts: 3, viewSize: 3);
            using var run = new FailoverRun(cluster, output, FailoverKeys, operationsBetweenSteps: 300, seed);
            await WithHostLogsOnFailureAsync(cluster, async () =>
            {
                await run.StartAsync();
                for (int host = 2; host >= 0; host--)
                {
                    await run.KillAndWaitForExclusionAsync(host);
                    run.Restart(host);
                    var restarted = System.Diagnostics.Stopwatch.StartNew();
                    await cluster.WaitForAsync(host, HealthEndpoints.HealthPath, Ok);
                    output.WriteLine($"host {host} ready {restarted.ElapsedMilliseconds} ms after its restart");
                }

                await run.WaitForReplicationAsync(expectedNodes: 3);
                await run.FinishAsync(expectedNodes: 3);
            });
        });
    }

    private async Task<HostCluster> StartAsync(NetworkNamespaces network, int hosts, int viewSize)
    {
        var cluster = new HostCluster(network, await published.ExecutableAsync(), hosts, ReplicationFactor);
        string view = cluster.ViewOf([.. Enumerable.Range(0, viewSize)]);
        for (int host = 0; host < hosts; host++)
        {
            cluster.Start(host, view);
        }

        for (int host = 0; host < hosts; host++)
        {
            await cluster.WaitForAsync(host, host < viewSize ? HealthEndpoints.HealthPath : HealthEndpoints.AlivePath, Ok);
        }

        return cluster;
    }

    /// <summary>Runs <paramref name="steps"/>; when they fail, writes the last lines every host logged
    /// (warnings and errors) to the test output before the failure propagates.</summary>
    private async Task WithHostLogsOnFailureAsync(HostCluster cluster, Func<Task> steps)
    {
        try
        {
            await steps();
        }
        catch
        {
            for (int host = 0; host < cluster.Addresses.Length; host++)
            {
                output.WriteLine($"--- host {host} ({cluster.AddressOf(host)}) log:\n{cluster.LogOf(host)}");
            }

            throw;
        }
    }

    private static async Task<int[]> KeyCountsAsync(HostCluster cluster, params int[] hosts) =>
        await Task.WhenAll(hosts.Select(host => cluster.Clients[host].KeyCountAsync()));

    /// <summary>Every key is held by exactly min(R, hosts) of <paramref name="hosts"/> (waiting for old
    /// copies to be dropped), and the primaries' counts add up to the keys.</summary>
    private static async Task AssertEveryKeyOnExactlyItsReplicasAsync(HostCluster cluster, int keys, int[] hosts)
    {
        int copies = Math.Min(ReplicationFactor, hosts.Length) * keys;
        await Eventually.Until(
            $"{keys} keys to be on exactly {Math.Min(ReplicationFactor, hosts.Length)} hosts each ({copies} copies, {keys} primaries)",
            TimeSpan.FromSeconds(30),
            async _ =>
            {
                KvsResponse[] counts = await Task.WhenAll(hosts.Select(host => cluster.Clients[host].SendAsync(HttpMethod.Get, "/kvs/key-count")));
                int primaries = counts.Sum(c => c.Body["key-count"]!.GetValue<int>());
                return (Primaries: primaries, Copies: primaries + counts.Sum(c => c.Body["replica-key-count"]!.GetValue<int>()));
            },
            found => found == (keys, copies));
    }

    private static async Task AssertEveryKeyReadableAsync(HostCluster cluster, int[] through)
    {
        for (int i = 0; i < Keys; i++)
        {
            KvsResponse read = await cluster.Clients[through[i % through.Length]].GetKeyAsync($"key{i}");
            Assert.Equal(HttpStatusCode.OK, read.Status);
            Assert.Equal($"value{i}", read.Field("value"));
        }
    }
}
