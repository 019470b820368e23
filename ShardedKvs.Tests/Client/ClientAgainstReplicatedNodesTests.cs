using ShardedKvs.Client;
using ShardedKvs.Ring;
using ShardedKvs.Tests.Api;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Client;

/// <summary>The client against four real nodes that keep three copies of every key.</summary>
public sealed class ClientAgainstReplicatedNodesTests : IClassFixture<ClientAgainstReplicatedNodesTests.FourNodes>, IDisposable
{
    private readonly TestCluster _cluster;
    private readonly ShardedKvsClient _client;

    public ClientAgainstReplicatedNodesTests(FourNodes fixture)
    {
        _cluster = fixture.Cluster;
        var options = new ShardedKvsClientOptions();
        options.Endpoints.Add(_cluster[2].Address);
        _client = new ShardedKvsClient(options);
    }

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task Each_key_goes_to_its_primary_and_causes_no_forwards()
    {
        using var forwards = new ForwardCounter(_cluster.Nodes);
        string[] keys = [.. Enumerable.Range(0, 300).Select(i => Keys.Unique($"replicated{i}"))];

        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (key, ct) =>
        {
            Assert.Equal(PutResult.Created, await _client.PutAsync(key, "v", ct));
            Assert.Equal("v", await _client.GetAsync(key, ct));
        });

        Assert.Equal(0, forwards.Forwards);
        Assert.Equal(FourNodes.ReplicationFactor, _client.CurrentView!.ReplicationFactor);
        Assert.All(_client.CurrentView.MemberStates.Values, state => Assert.Equal("serving", state));

        // Every acknowledged write is on the key's three replicas and nowhere else.
        var ring = new TokenRing([.. _cluster.Nodes.Select(n => n.Address)], FourNodes.TokensPerNode, FourNodes.ReplicationFactor);
        Assert.All(keys, key => Assert.Equal(
            ring.ReplicasOf(key).Order(),
            _cluster.Nodes.Where(n => n.Store.TryGet(key, out _)).Select(n => n.Address).Order()));

        // The counter does count: a plain request to a replica that is not the primary is one forward.
        string key = keys[0];
        TestNode notPrimary = _cluster.Nodes.First(n => n.Address != ring.OwnerOf(key));
        await notPrimary.Client.GetKeyAsync(key);
        Assert.Equal(1, forwards.Forwards);
    }

    [Fact]
    public async Task The_view_shows_the_factor_the_members_states_and_the_placement_the_client_routes_by()
    {
        KvsResponse view = await _cluster[0].Client.SendAsync(HttpMethod.Get, "/kvs/view");

        string[] addresses = [.. _cluster.Nodes.Select(n => n.Address)];
        Assert.Equal(FourNodes.ReplicationFactor, view.Body["replicationFactor"]!.GetValue<int>());
        Assert.Equal(addresses.Order(), view.Body["placement"]!.AsArray().Select(a => a!.GetValue<string>()).Order());
        Assert.All(view.Body["members"]!.AsArray(), m => Assert.Equal("serving", m!["state"]!.GetValue<string>()));
    }

    public sealed class FourNodes : ClusterFixture
    {
        public const int TokensPerNode = 64;
        public const int ReplicationFactor = 3;

        protected override int Nodes => 4;

        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Kvs:TokensPerNode"] = TokensPerNode.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Kvs:ReplicationFactor"] = ReplicationFactor.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
    }
}
