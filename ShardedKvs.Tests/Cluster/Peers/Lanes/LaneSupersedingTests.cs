using System.Net;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Tests.Api;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Cluster.Peers.Lanes;

/// <summary>
/// A sender opens a new lane when it gave up on its old one; from then on nothing sent on the old lane
/// is served, so a write resent on the new lane can never be overtaken by a late copy of it (or of an
/// older write) still waiting on the old lane.
/// </summary>
public sealed class LaneSupersedingTests
{
    [Fact]
    public async Task Once_a_sender_opens_a_new_lane_its_old_lane_serves_nothing_more()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(nodes: 2, settings: RoundOne.Settings());
        string sender = cluster[1].Address;
        string key = Keys.OwnedBy(cluster[0], "superseded");
        await using RawLane older = await RawLane.OpenAsync(cluster[0], sender, TestCluster.ClusterKey);
        uint first = await older.SendAsync(KeyOperation.Put, key, "first");
        Assert.Equal((first, OutcomeKind.Created, null, ""), await older.ReadAnswerAsync());

        await using RawLane newer = await RawLane.OpenAsync(cluster[0], sender, TestCluster.ClusterKey);
        uint second = await newer.SendAsync(KeyOperation.Put, key, "second");
        Assert.Equal((second, OutcomeKind.Replaced, null, ""), await newer.ReadAnswerAsync());

        // The old lane is closed: a write sent on it now is neither answered nor applied.
        // (Sending or reading may also fail outright: the connection is gone.)
        (uint, OutcomeKind, string?, string)? lateAnswer = null;
        await Record.ExceptionAsync(async () =>
        {
            await older.SendAsync(KeyOperation.Put, key, "late");
            lateAnswer = await older.ReadAnswerAsync();
        });
        Assert.Null(lateAnswer);
        KvsResponse read = await cluster[0].Client.GetKeyAsync(key);
        Assert.Equal(HttpStatusCode.OK, read.Status);
        Assert.Equal("second", read.Field("value"));
    }
}
