using ShardedKvs.Node.Cluster.Replication.Fill;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Node.Storage;
using ShardedKvs.Ring;

namespace ShardedKvs.Tests.Cluster.Replication.Fill;

/// <summary>One learner's state, and the replica's apply path as the replication code will call it:
/// a replicated write or delete under the key's stripe, a delete remembered for the fill.</summary>
public sealed class FakeLearner
{
    public FakeLearner() => Target = new FillTarget(Store, InFlight, Tombstones);

    public KeyValueStore Store { get; } = new();

    public KeysInFlight InFlight { get; } = new();

    public FillTombstones Tombstones { get; } = new();

    public FillTarget Target { get; }

    public void ApplyReplicatedPut(string key, ReadOnlySpan<byte> value, long version)
    {
        lock (InFlight.StripeFor(StableHash.Of(key)))
        {
            Store.PutIfNewer(key, value, version);
        }
    }

    public void ApplyReplicatedDelete(string key, long version)
    {
        lock (InFlight.StripeFor(StableHash.Of(key)))
        {
            Tombstones.Remember(key, version);
            Store.RemoveIfOlderThan(key, version);
        }
    }
}
