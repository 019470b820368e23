using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting.Testing;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.EndToEnd;

/// <summary>
/// The sample app the AppHost starts with WithReference(kvs).WaitFor(kvs): it reaches the cluster
/// through the connection string alone, caches through HybridCache into ShardedKvs, and maps the
/// client's results onto its own API.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class SampleAppTests(SampleAppFixture cluster) : IClassFixture<SampleAppFixture>
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task The_cluster_resource_becomes_healthy_and_names_every_node_in_its_connection_string()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        var ct = timeout.Token;

        await cluster.App.ResourceNotifications.WaitForResourceHealthyAsync("kvs", ct);
        var connectionString = await cluster.App.GetConnectionStringAsync("kvs", ct);

        var nodes = string.Join(',', Enumerable.Range(1, KvsClusterFixture.NodeCount).Select(cluster.AddressOf));
        Assert.Equal($"Endpoints={nodes}", connectionString);
    }

    [Fact]
    public async Task A_slow_result_is_computed_once_and_then_served_from_the_cache_in_ShardedKvs()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        var ct = timeout.Token;
        var app = await cluster.SampleApiAsync(ct);

        var first = await app.GetFromJsonAsync<JsonElement>("/primes/100000", ct);
        var second = await app.GetFromJsonAsync<JsonElement>("/primes/100000", ct);

        Assert.Equal(9592, first.GetProperty("count").GetInt32());
        Assert.Equal(first.GetProperty("computedAt").GetString(), second.GetProperty("computedAt").GetString());

        // The entry reaches the store, under the cache's prefix, readable through any node. HybridCache
        // may finish its second-level write after answering, so wait for it with a deadline.
        var node = cluster.Client(2);
        await Eventually.Until("the cache entry in ShardedKvs", TimeSpan.FromSeconds(20),
            _ => node.GetKeyAsync("sample:v:primes:100000"), stored => stored.Status == HttpStatusCode.OK);
    }

    [Fact]
    public async Task Notes_are_created_replaced_read_and_deleted_through_the_client()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        var ct = timeout.Token;
        var app = await cluster.SampleApiAsync(ct);
        var key = $"n-{Guid.NewGuid():N}";

        Assert.Equal(HttpStatusCode.Created, (await app.PutAsJsonAsync($"/notes/{key}", new { text = "first" }, ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.PutAsJsonAsync($"/notes/{key}", new { text = "second" }, ct)).StatusCode);
        var note = await app.GetFromJsonAsync<JsonElement>($"/notes/{key}", ct);
        Assert.Equal("second", note.GetProperty("text").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await app.DeleteAsync($"/notes/{key}", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.GetAsync($"/notes/{key}", ct)).StatusCode);
    }

    [Fact]
    public async Task Bad_input_gets_a_json_error_and_stores_nothing()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        var ct = timeout.Token;
        var app = await cluster.SampleApiAsync(ct);
        var key = $"bad-{Guid.NewGuid():N}";

        using var malformed = new StringContent("{not json", System.Text.Encoding.UTF8, "application/json");
        var put = await app.PutAsync($"/notes/{key}", malformed, ct);
        var primes = await app.GetAsync("/primes/many", ct);

        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Equal("Invalid JSON body", (await put.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, primes.StatusCode);
        Assert.Equal("Limit out of range", (await primes.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await app.GetAsync($"/notes/{key}", ct)).StatusCode);
    }
}
