using System.Collections.Concurrent;
using System.Diagnostics;
using ShardedKvs.Client;
using ShardedKvs.Tests.Api;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Client;

/// <summary>The client against a real three-node cluster with one copy per key.</summary>
public sealed class ClientAgainstNodesTests : IClassFixture<ClientAgainstNodesTests.ThreeNodes>, IDisposable
{
    private readonly TestCluster _cluster;
    private readonly ShardedKvsClient _client;

    public ClientAgainstNodesTests(ThreeNodes fixture)
    {
        _cluster = fixture.Cluster;
        var options = new ShardedKvsClientOptions();
        options.Endpoints.Add(_cluster[1].Address); // one seed is enough
        _client = new ShardedKvsClient(options);
    }

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task Put_get_delete_keep_the_contracts_meaning()
    {
        string key = Keys.Unique("contract");

        Assert.Null(await _client.GetAsync(key));
        Assert.Equal(PutResult.Created, await _client.PutAsync(key, "one"));
        Assert.Equal(PutResult.Replaced, await _client.PutAsync(key, "two"));
        Assert.Equal("two", await _client.GetAsync(key));
        Assert.True(await _client.DeleteAsync(key));
        Assert.False(await _client.DeleteAsync(key));
        Assert.Null(await _client.GetAsync(key));
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("with space")]
    [InlineData("ключ-%2F-?#&")]
    [InlineData("emoji-🔑")]
    public async Task Keys_with_reserved_or_non_ascii_characters_round_trip_and_land_on_their_owner(string prefix)
    {
        string key = prefix + Keys.Unique("");
        await _client.PutAsync(key, "value ✓");

        Assert.Equal("value ✓", await _client.GetAsync(key));
        string owner = Keys.OwnerOf(_cluster[0], key);
        Assert.Equal(owner, _cluster.Nodes.Single(n => n.Store.TryGet(key, out _)).Address);
    }

    [Fact]
    public async Task A_key_longer_than_the_store_allows_is_rejected_and_nothing_is_stored()
    {
        string key = new('k', 51);

        var e = await Assert.ThrowsAsync<ShardedKvsRequestRejectedException>(() => _client.PutAsync(key, "v"));

        Assert.Equal("Key is too long", e.Error);
        Assert.Null(await _client.GetAsync(key));
    }

    [Fact]
    public async Task A_ring_aware_client_causes_no_forwards()
    {
        using var forwards = new ForwardCounter(_cluster.Nodes);
        string[] keys = [.. Enumerable.Range(0, 300).Select(i => Keys.Unique($"direct{i}"))];

        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (key, ct) =>
        {
            await _client.PutAsync(key, "v", ct);
            Assert.Equal("v", await _client.GetAsync(key, ct));
            Assert.True(await _client.DeleteAsync(key, ct));
        });

        Assert.Equal(0, forwards.Forwards);
        Assert.Equal(ThreeNodes.TokensPerNode, _client.CurrentView!.TokensPerNode);

        // The counter does count: a plain request to a node that does not own the key is one forward.
        string elsewhere = keys.First(k => Keys.OwnerOf(_cluster[0], k) != _cluster[0].Address);
        await _cluster[0].Client.GetKeyAsync(elsewhere);
        Assert.Equal(1, forwards.Forwards);
    }

    [Fact]
    public async Task An_app_span_the_client_span_and_the_nodes_span_form_one_trace()
    {
        using var app = new ActivitySource("ShardedKvs.Tests.App");
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is ShardedKvsClientTelemetry.Name or "Microsoft.AspNetCore" || s == app,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        Activity appSpan;
        using (appSpan = app.StartActivity("GET /notes/{key}", ActivityKind.Server)!)
        {
            await _client.PutAsync(Keys.Unique("traced"), "v");
        }

        Activity clientSpan = spans.Single(s => s.Source.Name == ShardedKvsClientTelemetry.Name && s.TraceId == appSpan.TraceId);
        Assert.Equal("kvs.client.put", clientSpan.OperationName);
        Assert.Equal(appSpan.SpanId, clientSpan.ParentSpanId);
        Activity? nodeSpan = await Eventually.Until("the node's span of the PUT", TimeSpan.FromSeconds(10),
            _ => Task.FromResult(spans.FirstOrDefault(s => s.Source.Name == "Microsoft.AspNetCore" && s.TraceId == appSpan.TraceId)),
            s => s is not null);
        Assert.Equal(ActivityKind.Server, nodeSpan!.Kind);
    }

    /// <summary>Three nodes, one copy per key, with a ring that is not the default one, so a client
    /// that ignored the view's tokensPerNode would route keys to the wrong nodes (and cause forwards).
    /// (Replicated: ClientAgainstReplicatedNodesTests.)</summary>
    public sealed class ThreeNodes : ClusterFixture
    {
        public const int TokensPerNode = 64;

        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Kvs:TokensPerNode"] = TokensPerNode.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Kvs:ReplicationFactor"] = "1",
        };
    }
}
