using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Consensus;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Tests.Api;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Cluster.Consensus;

/// <summary>
/// The configuration log between real nodes over their signed internal calls: a decision reaches every
/// member, nodes that know no configuration yet (or that the round-one view does not name) vote and
/// learn, and an unsigned or wrongly signed call changes nothing. The nodes run with one copy per key,
/// so the log under test is the only one deciding (a replicated node runs its own).
/// </summary>
public sealed class ConfigLogOverHttpTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Excluding_a_member_is_decided_and_learned_by_all_three_nodes()
    {
        RecordingObserver[] heard = Observers(3);
        await using TestCluster cluster = await TestCluster.StartAsync(3, settings: RoundOne.Settings(), configure: (i, builder) => builder.Services.AddSingleton<IConfigObserver>(heard[i]));
        ClusterConfig first = ConfigTransitions.Form([.. cluster.Nodes.Select(n => IdentityOf(n).Self)], replicationFactor: 3);
        foreach (TestNode node in cluster.Nodes)
        {
            Assert.True(LogOf(node).Learn(first));
        }

        PlacedMember third = IdentityOf(cluster[2]).Self;
        using var timeout = new CancellationTokenSource(Deadline);
        ProposeResult result = await LogOf(cluster[0]).ProposeAsync(new ConfigChange.Exclude(third), timeout.Token);

        Assert.True(result.Applied, result.Refusal);
        Assert.Equal(2, result.Decided!.Epoch);
        Assert.False(result.Decided.IsLive(third));
        await EveryNodeHearsOfAsync(heard, result.Decided);
    }

    [Fact]
    public async Task Nodes_in_no_configuration_and_outside_the_round_one_view_vote_and_learn()
    {
        // Nodes 0-2 form the round-one view; node 3 is outside it, so the others' snapshots do not
        // know it. Only node 3 knows the first configuration (nodes 0, 1 and 3): 0 and 1 learn it
        // from its prepare, and node 2, added by the decision, from the broadcast.
        RecordingObserver[] heard = Observers(4);
        await using TestCluster cluster = await TestCluster.StartAsync(4, initialViewSize: 3, settings: RoundOne.Settings(), configure: (i, builder) => builder.Services.AddSingleton<IConfigObserver>(heard[i]));
        TestNode outsider = cluster[3];
        Assert.False(cluster[0].Snapshot.KnowsMember(outsider.Address));
        ClusterConfig first = ConfigTransitions.Form([IdentityOf(cluster[0]).Self, IdentityOf(cluster[1]).Self, IdentityOf(outsider).Self], replicationFactor: 3);
        Assert.True(LogOf(outsider).Learn(first));

        using var timeout = new CancellationTokenSource(Deadline);
        ProposeResult result = await LogOf(outsider).ProposeAsync(
            new ConfigChange.ChangeView([.. first.Voters, IdentityOf(cluster[2]).Self]),
            timeout.Token);

        Assert.True(result.Applied, result.Refusal);
        Assert.Equal(4, result.Decided!.Voters.Length);
        await EveryNodeHearsOfAsync(heard, result.Decided);
    }

    [Fact]
    public async Task A_node_that_missed_the_broadcast_catches_up_on_its_own()
    {
        // Every broadcast to node 2 is lost; it votes, but hears of the decision only by asking.
        var faults = new PeerFaults();
        RecordingObserver[] heard = Observers(3);
        await using TestCluster cluster = await TestCluster.StartAsync(
            3,
            settings: RoundOne.Settings(new Dictionary<string, string?> { ["Kvs:ConfigCatchUpInterval"] = "00:00:00.200" }),
            configure: (i, builder) =>
            {
                faults.InstallOn(builder);
                builder.Services.AddSingleton<IConfigObserver>(heard[i]);
            });
        string missing = cluster[2].Address;
        faults.DropRequest = request => PeerFaults.Is(request, PeerRoutes.ConfigDecided) && request.RequestUri!.Authority == missing;
        ClusterConfig first = ConfigTransitions.Form([.. cluster.Nodes.Select(n => IdentityOf(n).Self)], replicationFactor: 3);
        foreach (TestNode node in cluster.Nodes)
        {
            Assert.True(LogOf(node).Learn(first));
        }

        using var timeout = new CancellationTokenSource(Deadline);
        ProposeResult result = await LogOf(cluster[0]).ProposeAsync(new ConfigChange.ChangeView([.. first.Voters.Reverse()]), timeout.Token);

        Assert.True(result.Applied, result.Refusal);
        await EveryNodeHearsOfAsync(heard, result.Decided!);
    }

    [Fact]
    public async Task An_observer_registered_in_the_node_that_depends_on_the_log_hears_of_each_decision()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(
            1,
            settings: RoundOne.Settings(),
            configure: (_, builder) => builder.Services.AddSingleton<IConfigObserver, LogReadingObserver>());
        TestNode node = cluster[0];
        ClusterConfig first = ConfigTransitions.Form([IdentityOf(node).Self], replicationFactor: 3);

        Assert.True(LogOf(node).Learn(first));
        ProposeResult second = await LogOf(node).ProposeAsync(new ConfigChange.ChangeView([IdentityOf(node).Self]), CancellationToken.None);

        Assert.True(second.Applied, second.Refusal);
        var observer = node.Services.GetServices<IConfigObserver>().OfType<LogReadingObserver>().Single();
        IReadOnlyList<(long Told, long? Latest)> seen = observer.Seen;
        Assert.Equal([1L, 2L], seen.Select(s => s.Told).Take(2));
        Assert.Equal(seen.Count, seen.Select(s => s.Told).Distinct().Count()); // once each
        Assert.All(seen, s => Assert.True(s.Latest >= s.Told, $"told of epoch {s.Told} while the log held {s.Latest}"));
    }

    [Fact]
    public async Task An_unsigned_or_wrongly_signed_prepare_is_refused_and_changes_nothing()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3, settings: RoundOne.Settings());
        TestNode target = cluster[0];
        string body = PrepareBody(cluster);

        await AssertRefusedAsync(target, body, "Missing cluster signature", [(PeerHeaders.Sender, cluster[1].Address)]);
        foreach (string wrong in new[] { "wrong-key-0123456789", TestCluster.ClusterKey[..^1], TestCluster.ClusterKey.ToUpperInvariant() })
        {
            await AssertRefusedAsync(target, body, "Invalid cluster signature", Signatures.Headers("POST", PeerRoutes.ConfigPrepare.Path, body, cluster[1].Address, wrong));
        }

        // The signature covers the body: the right key over another body is refused as well.
        await AssertRefusedAsync(target, body, "Invalid cluster signature", Signatures.Headers("POST", PeerRoutes.ConfigPrepare.Path, "{}", cluster[1].Address, TestCluster.ClusterKey));
    }

    [Fact]
    public async Task A_signed_prepare_from_a_sender_outside_every_view_gets_a_vote_naming_the_voters_incarnation()
    {
        // Membership of the configuration log is decided by the configuration, not the round-one view:
        // the cluster key authenticates the caller.
        await using TestCluster cluster = await TestCluster.StartAsync(3, settings: RoundOne.Settings());
        TestNode target = cluster[0];
        string body = PrepareBody(cluster);

        KvsResponse response = await HeaderRequests.SendAsync(
            target,
            HttpMethod.Post,
            PeerRoutes.ConfigPrepare.Path,
            new StringContent(body, Encoding.UTF8, "application/json"),
            Signatures.Headers("POST", PeerRoutes.ConfigPrepare.Path, body, "127.0.0.9:9", TestCluster.ClusterKey));

        Assert.True(response.Status == HttpStatusCode.OK, response.ToString());
        VoterAnswer answer = JsonSerializer.Deserialize(response.Text, PeerJsonContext.Default.ConfigVoteMessage)!.ToAnswer()!;
        Assert.Equal(IdentityOf(target).Self, answer.Voter);
        Assert.Equal(VoteKind.Promised, answer.Vote.Kind);
        Assert.Equal(1, LogOf(target).Latest!.Epoch);
    }

    [Fact]
    public async Task A_signed_body_that_is_not_a_configuration_is_400_with_the_reason_and_changes_nothing()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3, settings: RoundOne.Settings());
        TestNode target = cluster[0];
        string body = """{"epoch":1,"replicationFactor":3,"view":["127.0.0.1:9"],"members":[],"placement":[],"fillEpoch":0,"filled":[]}""";

        KvsResponse response = await HeaderRequests.SendAsync(
            target,
            HttpMethod.Post,
            PeerRoutes.ConfigDecided.Path,
            new StringContent(body, Encoding.UTF8, "application/json"),
            Signatures.Headers("POST", PeerRoutes.ConfigDecided.Path, body, cluster[1].Address, TestCluster.ClusterKey));

        ApiAssert.Is(response, HttpStatusCode.BadRequest, new JsonObject { ["error"] = "Every address of a configuration's view is one of its members" });
        Assert.Null(LogOf(target).Latest);
    }

    private static async Task AssertRefusedAsync(TestNode target, string body, string error, (string Name, string Value)[] headers)
    {
        KvsResponse response = await HeaderRequests.SendAsync(
            target,
            HttpMethod.Post,
            PeerRoutes.ConfigPrepare.Path,
            new StringContent(body, Encoding.UTF8, "application/json"),
            headers);

        ApiAssert.Is(response, HttpStatusCode.Unauthorized, new JsonObject { ["error"] = error });
        Assert.Null(LogOf(target).Latest); // had it been accepted, the node would have adopted the basis
    }

    /// <summary>A prepare on the cluster's first configuration: a node that took it would adopt that basis.</summary>
    private static string PrepareBody(TestCluster cluster)
    {
        ClusterConfig first = ConfigTransitions.Form([.. cluster.Nodes.Select(n => IdentityOf(n).Self)], replicationFactor: 3);
        return JsonSerializer.Serialize(ConfigPrepareMessage.From(new PrepareBallot(first, new Ballot(1, "127.0.0.9:9#1"))), PeerJsonContext.Default.ConfigPrepareMessage);
    }

    private static RecordingObserver[] Observers(int nodes) => [.. Enumerable.Range(0, nodes).Select(_ => new RecordingObserver())];

    /// <summary>Waits until every node's observer heard of <paramref name="decided"/> (the node's own
    /// observers may act on it and decide later epochs; this one only listens).</summary>
    private static Task EveryNodeHearsOfAsync(IEnumerable<RecordingObserver> heard, ClusterConfig decided) =>
        Eventually.WaitUntilAsync(
            () => Task.FromResult(heard.All(h => h.Told.Contains(decided))),
            Deadline,
            $"every node to hear of epoch {decided.Epoch}");

    private static NodeIdentity IdentityOf(TestNode node) => node.Services.GetRequiredService<NodeIdentity>();

    private static IConfigLog LogOf(TestNode node) => node.Services.GetRequiredService<IConfigLog>();
}
