using System.Collections.Immutable;
using System.Text.Json;
using ShardedKvs.Client.Routing;
using ShardedKvs.Client.Transport;
using ShardedKvs.Node.Api;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Ring;
using static ShardedKvs.Tests.Cluster.Configuration.ConfigTransitionsTests;

namespace ShardedKvs.Tests.Client.Routing;

/// <summary>
/// The client computes every key's primary exactly as the nodes do: each configuration below is made
/// by the nodes' own transitions, shown as the node's GET /kvs/view shows it (same JSON), read back by
/// the client, and compared key by key with the node's <see cref="PlacementMap"/>. No HTTP.
/// </summary>
public sealed class RoutingTableTests
{
    private const int Tokens = 64;

    private static readonly string[] Keys = [.. Enumerable.Range(0, 3_000).Select(i => $"key-{i}")];

    public static TheoryData<string> Configurations => [.. Scenarios.Keys];

    private static Dictionary<string, Func<ClusterConfig>> Scenarios => new()
    {
        ["formed, every member serving"] = () => Formed(5),
        ["a member excluded, still placed while the fill runs"] = () => Apply(Formed(5), new ConfigChange.Exclude(Member(2))),
        ["two members excluded one after the other"] = () => Apply(Apply(Formed(5), new ConfigChange.Exclude(Member(2))), new ConfigChange.Exclude(Member(4))),
        ["an excluded member switched out, still in the view"] = () => FinishFill(Apply(Formed(5), new ConfigChange.Exclude(Member(2)))),
        ["a restarted member: its old incarnation placed, the new one a learner"] = () => Apply(Formed(5), new ConfigChange.Rejoin(Member(2, incarnation: 2))),
        ["a restarted member rejoining after it was switched out"] =
            () => Apply(FinishFill(Apply(Formed(5), new ConfigChange.Exclude(Member(2)))), new ConfigChange.Rejoin(Member(2, incarnation: 2))),
        ["a member added by a view change: a learner"] = () => Apply(Formed(4), new ConfigChange.ChangeView([.. Enumerable.Range(0, 5).Select(i => Member(i))])),
        ["a member removed by a view change: leaving, still primary until the switch"] =
            () => Apply(Formed(5), new ConfigChange.ChangeView([.. Enumerable.Range(0, 4).Select(i => Member(i))])),
        ["a view change done"] = () => FinishFill(Apply(Formed(4), new ConfigChange.ChangeView([.. Enumerable.Range(0, 5).Select(i => Member(i))]))),
        ["two nodes: R is capped at the placed members"] = () => Formed(2),
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Every_keys_primary_is_the_one_the_nodes_compute(string scenario)
    {
        ClusterConfig config = Scenarios[scenario]();
        var nodes = new PlacementMap(config, Tokens);

        RoutingTable table = ReadByClient(config);

        Assert.Equal(config.Epoch, table.Epoch);
        Assert.Equal(config.View.ToArray(), table.View.ToArray());
        Assert.All(Keys, key => Assert.Equal(nodes.PrimaryOf(StableHash.Of(key))?.Address, table.PrimaryOf(key)));
        Assert.All(Keys, key => Assert.Equal(nodes.PrimaryOf(StableHash.Of(key))?.Address, table.RouteOf(key, _ => false, out _)));
    }

    [Fact]
    public void Learners_and_excluded_members_are_never_a_primary()
    {
        ClusterConfig config = Apply(Apply(Formed(5), new ConfigChange.Exclude(Member(1))), new ConfigChange.Rejoin(Member(3, incarnation: 2)));

        RoutingTable table = ReadByClient(config);

        Assert.Equal("excluded", table.MemberStates[Member(1).Address]);
        Assert.Equal("learner", table.MemberStates[Member(3).Address]);
        string[] primaries = [.. Keys.Select(k => table.PrimaryOf(k)!).Distinct()];
        Assert.Equal(3, primaries.Length);
        Assert.DoesNotContain(Member(1).Address, primaries);
        Assert.DoesNotContain(Member(3).Address, primaries);
    }

    [Fact]
    public void A_primary_that_refused_connections_is_routed_around_to_the_replica_the_nodes_will_choose()
    {
        ClusterConfig before = Formed(5);
        ClusterConfig after = Apply(before, new ConfigChange.Exclude(Member(2)));
        var afterExclusion = new PlacementMap(after, Tokens);
        string dead = Member(2).Address;

        RoutingTable table = ReadByClient(before);

        string[] itsKeys = [.. Keys.Where(k => table.PrimaryOf(k) == dead)];
        Assert.NotEmpty(itsKeys);
        foreach (string key in Keys)
        {
            string route = table.RouteOf(key, n => n == dead, out bool aroundPrimary);
            Assert.Equal(afterExclusion.PrimaryOf(StableHash.Of(key))!.Value.Address, route);
            Assert.Equal(itsKeys.Contains(key), aroundPrimary);
        }
    }

    [Fact]
    public void With_every_replica_avoided_a_key_still_goes_to_its_primary()
    {
        RoutingTable table = ReadByClient(Formed(3));

        Assert.All(Keys.Take(100), key => Assert.Equal(table.PrimaryOf(key), table.RouteOf(key, _ => true, out _)));
    }

    [Fact]
    public void A_view_without_replication_fields_routes_by_the_views_ring_as_before()
    {
        var answer = new ViewAnswer("n1:1", "serving", 7, "n1:1,n2:2,n3:3", TokensPerNode: 16);
        var ring = new TokenRing(["n1:1", "n2:2", "n3:3"], tokensPerNode: 16);

        RoutingTable table = RoutingTable.FromAnswer(answer, defaultTokensPerNode: 256)!;

        Assert.Equal(1, table.ReplicationFactor);
        Assert.Empty(table.MemberStates);
        Assert.All(Keys, key => Assert.Equal(ring.OwnerOf(key), table.PrimaryOf(key)));
    }

    [Fact]
    public void A_view_that_does_not_parse_is_not_adopted()
    {
        Assert.Null(RoutingTable.FromAnswer(new ViewAnswer("n1:1", "serving", 2, "not a view", 16), 256));
    }

    [Fact]
    public void The_nodes_to_ask_for_a_newer_view_include_placed_members_that_left_the_view()
    {
        ClusterConfig config = Apply(Formed(5), new ConfigChange.ChangeView([.. Enumerable.Range(0, 4).Select(i => Member(i))]));

        RoutingTable table = ReadByClient(config);

        Assert.DoesNotContain(Member(4).Address, table.View);
        Assert.Contains(Member(4).Address, table.KnownNodes);
        Assert.Equal("leaving", table.MemberStates[Member(4).Address]);
    }

    /// <summary>The configuration as a node's GET /kvs/view writes it, read back as the client reads it.</summary>
    private static RoutingTable ReadByClient(ClusterConfig config)
    {
        var response = new ViewResponse("View retrieved successfully", config.View[0], "serving", config.Epoch, string.Join(',', config.View), null, null)
        {
            TokensPerNode = Tokens,
            ReplicationFactor = Math.Min(config.ReplicationFactor, config.Placement.Length),
            Members = ReplicaView.Members(config),
            Placement = ReplicaView.Placement(config),
            Fill = config.IsFilling ? ReplicaView.Fill(config, copy: default) : null,
        };
        string json = JsonSerializer.Serialize(response, NodeJson.Context.ViewResponse);
        ViewAnswer answer = JsonSerializer.Deserialize(json, ClientJson.Default.ViewAnswer)!;
        return RoutingTable.FromAnswer(answer, defaultTokensPerNode: TokenRing.DefaultTokensPerNode)!;
    }

    private static ClusterConfig Apply(ClusterConfig config, ConfigChange change)
    {
        ConfigDecision decision = ConfigTransitions.Apply(config, change);
        Assert.True(decision.IsDecided, decision.Refusal);
        return decision.Next!;
    }
}
