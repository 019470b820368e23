using System.Collections.Immutable;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Peers;

namespace ShardedKvs.Tests.Cluster.ViewChange.Migration;

/// <summary>A two-node view growing to three, prepared on one node: the state a source or a target
/// is in while keys move, built without HTTP.</summary>
public static class MigrationFixture
{
    public static readonly ImmutableArray<string> From = ["10.0.0.1:1", "10.0.0.2:1"];
    public static readonly ImmutableArray<string> To = [.. From, "10.0.0.3:1"];

    public static ClusterState PreparedOn(string self)
    {
        var state = new ClusterState(self, From, tokensPerNode: 64);
        state.TryAdopt(1, From);
        Assert.Equal(PrepareOutcome.Prepared, state.Prepare(1, From, null, 2, To, From[0]));
        return state;
    }

    /// <summary>Keys whose owner is <paramref name="oldOwner"/> now and <paramref name="newOwner"/> after the change.</summary>
    public static string[] KeysMoving(ClusterState state, string oldOwner, string newOwner, int count, string prefix = "k") =>
        Enumerable.Range(0, int.MaxValue)
            .Select(i => $"{prefix}{i}")
            .Where(k => state.Snapshot.Current.Ring.OwnerOf(k) == oldOwner && state.Snapshot.Pending!.Ring.OwnerOf(k) == newOwner)
            .Take(count)
            .ToArray();

    public static MigrationBatch Batch(long batchId, params (string Key, string Value)[] entries) =>
        new(2, From[0], batchId, [.. entries.Select(e => new MigrationEntry(e.Key, e.Value))]);
}
