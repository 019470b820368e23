using Microsoft.Extensions.DependencyInjection;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Replication;
using ShardedKvs.Ring;
using ShardedKvs.Tests.Api;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Cluster.Replication;

/// <summary>
/// A configuration is published before its takeovers are registered: in between, no key may be served
/// under it, since any key could be one a takeover must hold back until the dead primary's unsettled
/// writes are reconciled (the fresh-clone CI once saw a delete served in that window and undone by the
/// reconciliation's older put).
/// </summary>
public sealed class TakeoverRegistrationTests : IAsyncLifetime
{
    private TestCluster? _cluster;

    public async Task InitializeAsync() => _cluster = await TestCluster.StartAsync(1);

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    [Fact]
    public async Task Every_key_waits_until_the_takeovers_of_a_published_configuration_are_registered()
    {
        TestNode node = _cluster![0];
        var state = node.Services.GetRequiredService<ClusterState>();
        var promotions = node.Services.GetRequiredService<Promotions>();
        ReplicaState running = state.Snapshot.Replica!;
        ClusterConfig current = running.Config;
        ulong hash = StableHash.Of(Keys.Unique("gated"));
        Assert.Null(promotions.GateFor(running, hash));

        // What ConfigAdoption does first, without the rest of it yet.
        var newer = new ClusterConfig(current.Epoch + 1, current.ReplicationFactor, current.View, current.Members, current.Placement);
        Assert.True(state.AdoptConfig(newer, running.Self));
        ReplicaState published = state.Snapshot.Replica!;
        Task? gate = promotions.GateFor(published, hash);

        Assert.NotNull(gate);
        Assert.False(gate.IsCompleted, "a key was servable before the configuration's takeovers were registered");

        promotions.OnAdopted(published);

        await gate.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Null(promotions.GateFor(published, hash));
    }
}
