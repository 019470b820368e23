using System.Net;
using Aspire.Hosting.ApplicationModel;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.EndToEnd;

/// <summary>The AppHost's dashboard commands, run through the resource command service as the dashboard does.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class DashboardCommandTests(DashboardCommandFixture cluster) : IClassFixture<DashboardCommandFixture>
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Add_to_view_then_remove_from_view_on_the_idle_node_grow_and_shrink_the_cluster()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        var ct = timeout.Token;
        var newcomer = cluster.AddressOf(4);
        var keys = Enumerable.Range(0, 40).Select(i => $"command-{i}").ToList();
        foreach (var key in keys)
        {
            var put = await cluster.Client(1).PutKeyAsync(key, $"v{key}", ct);
            Assert.True(put.Status is HttpStatusCode.Created or HttpStatusCode.OK, $"PUT {key}: {put}");
        }

        var before = await cluster.Client(1).GetViewAsync(ct);
        var epochBefore = before.Body["epoch"]!.GetValue<long>();

        var added = await cluster.ExecuteCommandAsync("node-4", "add-to-view", ct);
        Assert.True(added.Success, $"Add to view: {added.Message} {added.Data?.Value}");

        var grown = await cluster.Client(1).GetViewAsync(ct);
        Assert.Contains(newcomer, grown.String("view")!.Split(','));
        Assert.True(grown.Body["epoch"]!.GetValue<long>() > epochBefore, $"epoch did not advance: {grown}");
        Assert.True(await cluster.Client(4).GetKeyCountAsync(ct) > 0, "no key moved to node-4");
        Assert.Equal(keys.Count, await SumOfKeyCountsAsync(4, ct));

        var shown = await cluster.ExecuteCommandAsync("node-2", "show-view", ct);
        Assert.True(shown.Success, $"Show view: {shown.Message}");
        Assert.Contains(newcomer, shown.Message);

        var removed = await cluster.ExecuteCommandAsync("node-4", "remove-from-view", ct);
        Assert.True(removed.Success, $"Remove from view: {removed.Message} {removed.Data?.Value}");

        var shrunk = await cluster.Client(1).GetViewAsync(ct);
        Assert.DoesNotContain(newcomer, shrunk.String("view")!.Split(','));
        await Eventually.Until("node-4 to go idle", TimeSpan.FromSeconds(30),
            token => cluster.Client(4).GetViewAsync(token), view => view.String("state") == "idle");
        Assert.Equal(keys.Count, await SumOfKeyCountsAsync(3, ct));

        foreach (var key in keys)
        {
            var get = await cluster.Client(3).GetKeyAsync(key, ct);
            Assert.True(get.Status == HttpStatusCode.OK, $"GET {key} after node-4 left: {get}");
            Assert.Equal($"v{key}", get.String("value"));
        }
    }

    [Fact]
    public async Task Add_to_view_on_a_node_already_in_the_view_fails_and_changes_nothing()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        var ct = timeout.Token;
        var before = await cluster.Client(1).GetViewAsync(ct);

        var result = await cluster.ExecuteCommandAsync("node-1", "add-to-view", ct);

        Assert.False(result.Success);
        Assert.Contains("already in the view", result.Message);
        var after = await cluster.Client(1).GetViewAsync(ct);
        Assert.Equal(before.String("view"), after.String("view"));
        Assert.Equal(before.Body["epoch"]!.GetValue<long>(), after.Body["epoch"]!.GetValue<long>());
    }

    [Fact]
    public async Task Force_exclusion_while_every_node_is_alive_fails_with_the_nodes_refusal_and_changes_nothing()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        var ct = timeout.Token;
        await cluster.App.ResourceNotifications.WaitForResourceAsync("node-1",
            e => e.Snapshot.Commands.Any(c => c.Name == "force-exclusion" && c.State == ResourceCommandState.Enabled), ct);
        var before = await cluster.Client(1).GetViewAsync(ct);

        var result = await cluster.ExecuteCommandAsync("node-1", "force-exclusion", ct);

        Assert.False(result.Success, $"Force exclusion with every node alive: {result.Message}");
        Assert.StartsWith($"{cluster.AddressOf(1)} answered 409: ", result.Message);
        // Every peer answers heartbeats, so none is suspected; were one slow for a moment, the node
        // would still hear a majority and refuse saying so.
        Assert.Matches("nothing to exclude|voters are live, a majority", result.Message);
        var after = await cluster.Client(1).GetViewAsync(ct);
        Assert.Equal(before.String("view"), after.String("view"));
        Assert.Equal(before.Body["epoch"]!.GetValue<long>(), after.Body["epoch"]!.GetValue<long>());
    }

    [Fact]
    public async Task Force_exclusion_on_the_idle_node_fails_since_it_is_no_member()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        var ct = timeout.Token;
        await Eventually.Until("node-4 to be idle", TimeSpan.FromSeconds(30),
            token => cluster.Client(4).GetViewAsync(token), view => view.String("state") == "idle");

        var result = await cluster.ExecuteCommandAsync("node-4", "force-exclusion", ct);

        Assert.False(result.Success);
        Assert.Equal($"{cluster.AddressOf(4)} answered 503: This node is not a live member: ask a survivor", result.Message);
    }

    private async Task<long> SumOfKeyCountsAsync(int nodes, CancellationToken ct)
    {
        long sum = 0;
        for (var node = 1; node <= nodes; node++)
        {
            sum += await cluster.Client(node).GetKeyCountAsync(ct);
        }

        return sum;
    }
}
