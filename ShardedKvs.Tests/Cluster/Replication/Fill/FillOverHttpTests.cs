using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Cluster.Replication.Fill;
using ShardedKvs.Node.Security;
using ShardedKvs.Node.Storage;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Cluster.Replication.Fill;

/// <summary>The fill between two real nodes over signed internal HTTP: batches arrive in the learner's
/// store, and only signed, well-formed batches change anything.</summary>
public sealed class FillOverHttpTests(TwoNodes nodes) : IClassFixture<TwoNodes>
{
    private static readonly string Path = PeerRoutes.FillBatch.Path;

    private KeyValueStore SourceStore => nodes.Cluster[0].Store;

    private KeyValueStore LearnerStore => nodes.Cluster[1].Store;

    private static string[] KeysFor(string test, int count) => [.. Enumerable.Range(0, count).Select(i => $"{test}-{i}")];

    private static byte[] Batch(params (string Key, long Version, string Value)[] entries)
    {
        var writer = new FillBatchWriter(1000, 1 << 20);
        foreach ((string key, long version, string value) in entries)
        {
            Assert.True(writer.TryAdd(key, version, Encoding.UTF8.GetBytes(value)));
        }

        return writer.Build().Body;
    }

    private async Task<HttpResponseMessage> PostAsync(byte[] body, string? sender, string? clusterKey = TestCluster.ClusterKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(FillBatchFormat.ContentType);
        if (sender is not null && clusterKey is not null)
        {
            string timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
            string signature = new ClusterKeys(clusterKey).Sign(new SignedFields("POST", Path, sender, timestamp, body));
            request.Headers.Add(PeerHeaders.Sender, sender);
            request.Headers.Add(PeerHeaders.Timestamp, timestamp);
            request.Headers.Add(PeerHeaders.Signature, signature);
        }

        return await nodes.Cluster[1].Client.SendAsync(request);
    }

    private static async Task<JsonObject> JsonOf(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();

    [Fact]
    public async Task A_copy_reaches_the_learners_store_with_its_versions()
    {
        string[] keys = KeysFor("copied", 2_500);
        foreach ((string key, int i) in keys.Select((k, i) => (k, i)))
        {
            SourceStore.PutIfNewer(key, Encoding.UTF8.GetBytes($"value-{i}"), 100 + i);
        }

        FillResult result = await nodes.Cluster[0].Services.GetRequiredService<FillSource>()
            .CopyAsync(nodes.Map, nodes.SourceMember, CancellationToken.None);

        Assert.True(result.Succeeded, result.Failure);
        Assert.True(result.Batches >= 3, $"{result.Batches} batches");
        foreach ((string key, int i) in keys.Select((k, i) => (k, i)))
        {
            Assert.True(LearnerStore.TryGet(key, out ReadOnlyMemory<byte> value, out long version), $"{key} did not reach the learner");
            Assert.Equal($"value-{i}", Encoding.UTF8.GetString(value.Span));
            Assert.Equal(100 + i, version);
        }
    }

    [Fact]
    public async Task A_learner_that_is_down_fails_the_copy_with_its_name()
    {
        SourceStore.PutIfNewer("to-nowhere", "v"u8, 1);
        var nowhere = new Node.Cluster.Configuration.PlacedMember($"127.0.0.1:{FreePorts.Take(1)[0]}", 1);

        FillResult result = await nodes.Cluster[0].Services.GetRequiredService<FillSource>()
            .CopyAsync(FillKit.OneSourceOneLearner(nodes.SourceMember, nowhere), nodes.SourceMember, CancellationToken.None);

        Assert.Equal(nowhere, result.FailedLearner);
        Assert.Contains("connection refused", result.Failure);
    }

    [Fact]
    public async Task A_batch_signed_by_a_node_outside_the_round_one_view_is_applied()
    {
        // A member of a configuration that the learner's round-one view has not heard of yet.
        using HttpResponseMessage response = await PostAsync(Batch(("from-new-member", 5, "v")), sender: "127.0.0.9:9");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonObject reply = await JsonOf(response);
        Assert.Equal(1, (int)reply["applied"]!);
        Assert.Equal(0, (int)reply["skipped"]!);
        Assert.True(LearnerStore.TryGet("from-new-member", out _, out long version));
        Assert.Equal(5, version);
    }

    [Fact]
    public async Task A_batch_sent_twice_is_applied_once()
    {
        byte[] body = Batch(("twice-a", 5, "v"), ("twice-b", 6, "w"));
        using HttpResponseMessage first = await PostAsync(body, nodes.Cluster[0].Address);
        using HttpResponseMessage second = await PostAsync(body, nodes.Cluster[0].Address);

        Assert.Equal(2, (int)(await JsonOf(first))["applied"]!);
        JsonObject again = await JsonOf(second);
        Assert.Equal(0, (int)again["applied"]!);
        Assert.Equal(2, (int)again["skipped"]!);
    }

    [Theory]
    [InlineData(null, "Missing cluster signature")]
    [InlineData("wrong-cluster-key-0123456789", "Invalid cluster signature")]
    public async Task An_unsigned_or_badly_signed_batch_is_refused_and_changes_nothing(string? clusterKey, string error)
    {
        string key = $"unsigned-{clusterKey is null}";
        using HttpResponseMessage response = await PostAsync(Batch((key, 5, "planted")), nodes.Cluster[0].Address, clusterKey);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(error, (string?)(await JsonOf(response))["error"]);
        Assert.False(LearnerStore.Contains(key));
    }

    [Fact]
    public async Task A_malformed_batch_gets_a_400_json_error_and_changes_nothing()
    {
        byte[] good = Batch(("malformed-first", 5, "planted"), ("malformed-second", 5, "planted"));

        foreach (byte[] body in new[] { good[..^1], [.. good, 0], [], [9, 0, 0, 0, 0] })
        {
            using HttpResponseMessage response = await PostAsync(body, nodes.Cluster[0].Address);

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            JsonObject error = await JsonOf(response);
            Assert.StartsWith("Malformed fill batch: ", (string?)error["error"]);
            Assert.Equal("Error in POST", (string?)error["message"]);
        }

        Assert.False(LearnerStore.Contains("malformed-first"));
        Assert.False(LearnerStore.Contains("malformed-second"));
    }
}
