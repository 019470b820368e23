using System.Net;

namespace ShardedKvs.Tests.EndToEnd;

/// <summary>PUT /kvs/view-change against the cluster the AppHost starts, with and without the admin key.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class ViewChangeTests(ViewChangeFixture cluster) : IClassFixture<ViewChangeFixture>
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Adding_the_idle_node_moves_keys_to_it_and_keeps_every_key_readable()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        var ct = timeout.Token;
        var keys = Enumerable.Range(0, 60).Select(i => $"grow-{i}").ToList();
        foreach (var key in keys)
        {
            var put = await cluster.Client(1).PutKeyAsync(key, $"v{key}", ct);
            Assert.True(put.Status is HttpStatusCode.Created or HttpStatusCode.OK, $"PUT {key}: {put}");
        }

        var fourNodes = string.Join(',', Enumerable.Range(1, 4).Select(cluster.AddressOf));
        var change = await cluster.Client(1).ChangeViewAsync(fourNodes, await cluster.AdminKeyAsync(ct), ct);

        Assert.True(change.Status == HttpStatusCode.OK, $"view change: {change}");
        Assert.Equal("View change successful", change.String("message"));
        var shards = change.Body["shards"]!.AsArray()
            .Select(s => (Address: s!["address"]!.GetValue<string>(), Keys: s["key-count"]!.GetValue<long>()))
            .ToList();
        Assert.Equal(Enumerable.Range(1, 4).Select(cluster.AddressOf).Order(), shards.Select(s => s.Address).Order());
        Assert.Equal(keys.Count, shards.Sum(s => s.Keys));
        Assert.True(shards.Single(s => s.Address == cluster.AddressOf(4)).Keys > 0, $"no key moved to node-4: {change}");

        for (var node = 1; node <= 4; node++)
        {
            var view = await cluster.Client(node).GetViewAsync(ct);
            Assert.Equal(fourNodes, view.String("view"));
            Assert.Equal("serving", view.String("state"));
        }

        foreach (var key in keys)
        {
            var get = await cluster.Client(4).GetKeyAsync(key, ct);
            Assert.True(get.Status == HttpStatusCode.OK, $"GET {key} through node-4 after the change: {get}");
            Assert.Equal($"v{key}", get.String("value"));
        }
    }

    [Fact]
    public async Task A_view_change_without_the_admin_key_is_refused()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        var ct = timeout.Token;
        var fourNodes = string.Join(',', Enumerable.Range(1, 4).Select(cluster.AddressOf));

        var bare = await cluster.Client(1).ChangeViewAsync(fourNodes, adminKey: null, ct);
        var wrong = await cluster.Client(1).ChangeViewAsync(fourNodes, adminKey: "not-the-admin-key", ct);

        Assert.True(bare.Status == HttpStatusCode.Unauthorized, $"no key: {bare}");
        Assert.True(wrong.Status == HttpStatusCode.Unauthorized, $"wrong key: {wrong}");
        Assert.Equal("Error in PUT", bare.String("message"));
        Assert.NotNull(bare.String("error"));
    }
}
