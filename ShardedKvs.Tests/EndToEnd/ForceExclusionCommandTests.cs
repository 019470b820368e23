using System.Net;
using Aspire.Hosting.ApplicationModel;
using ShardedKvs.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ShardedKvs.Tests.EndToEnd;

/// <summary>
/// The "Force exclusion" dashboard command after a majority died: two of the three view members are
/// stopped through the orchestrator, as the dashboard's Stop does, and the command on the survivor
/// excludes them so it serves again. Its own cluster, since the test leaves two nodes stopped.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class ForceExclusionCommandTests(ForceExclusionCommandFixture cluster, ITestOutputHelper output) : IClassFixture<ForceExclusionCommandFixture>
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task After_two_of_three_view_members_stop_force_exclusion_on_the_survivor_excludes_them_and_it_serves_again()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        var ct = timeout.Token;
        var survivor = cluster.Client(1);
        var keys = Enumerable.Range(0, 20).Select(i => $"forced-{i}").ToList();
        foreach (var key in keys)
        {
            var put = await survivor.PutKeyAsync(key, $"v{key}", ct);
            Assert.True(put.Status is HttpStatusCode.Created or HttpStatusCode.OK, $"PUT {key}: {put}");
        }

        foreach (var node in new[] { "node-2", "node-3" })
        {
            var stopped = await cluster.ExecuteCommandAsync(node, KnownResourceCommands.StopCommand, ct);
            Assert.True(stopped.Success, $"Stop {node}: {stopped.Message}");
            await cluster.App.ResourceNotifications.WaitForResourceAsync(node, KnownResourceStates.TerminalStates, ct);
        }

        // A stopped node's command is greyed out: it could only fail.
        await cluster.App.ResourceNotifications.WaitForResourceAsync("node-2",
            e => e.Snapshot.Commands.Any(c => c.Name == "force-exclusion" && c.State == ResourceCommandState.Disabled), ct);

        // Until the survivor has gone SuspectAfter without hearing both, it refuses and changes nothing;
        // the operator would press again.
        var forced = await Eventually.Until("the survivor to suspect both stopped nodes and force their exclusion", Patience,
            async token =>
            {
                var result = await cluster.ExecuteCommandAsync("node-1", "force-exclusion", token);
                return (result.Success, result.Message);
            },
            result => result.Success);
        output.WriteLine($"Force exclusion: {forced.Message}");

        Assert.Contains(cluster.AddressOf(2), forced.Message);
        Assert.Contains(cluster.AddressOf(3), forced.Message);
        Assert.DoesNotContain($"excluded {cluster.AddressOf(1)}", forced.Message);

        await Eventually.Until("the survivor to serve the keys it holds", Patience,
            token => survivor.GetKeyAsync(keys[0], token), get => get.Status == HttpStatusCode.OK);
        foreach (var key in keys)
        {
            var get = await survivor.GetKeyAsync(key, ct);
            Assert.True(get.Status == HttpStatusCode.OK, $"GET {key} after the forced exclusion: {get}");
            Assert.Equal($"v{key}", get.String("value"));
        }

        var view = await survivor.GetViewAsync(ct);
        var states = view.Body["members"]!.AsArray().ToDictionary(m => m!["address"]!.GetValue<string>(), m => m!["state"]!.GetValue<string>());
        Assert.Equal("excluded", states[cluster.AddressOf(2)]);
        Assert.Equal("excluded", states[cluster.AddressOf(3)]);
        Assert.Equal("serving", states[cluster.AddressOf(1)]);
    }
}
