using System.Collections.Immutable;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Replication;

namespace ShardedKvs.Node.Cluster.Membership;

/// <summary>
/// Holds the node's <see cref="ClusterSnapshot"/>. Readers take <see cref="Snapshot"/> without
/// locking; the rare writers (formation, prepare, commit, abort) serialize on a private gate and
/// publish a new snapshot in one reference write.
/// </summary>
public sealed class ClusterState
{
    private readonly Lock _gate = new();
    private readonly int _tokensPerNode;
    private volatile ClusterSnapshot _snapshot;

    public ClusterState(string self, ImmutableArray<string> initialView, int tokensPerNode)
    {
        _tokensPerNode = tokensPerNode;
        _snapshot = new ClusterSnapshot(self, new ClusterView(0, initialView, tokensPerNode), null, version: 0);
    }

    public ClusterSnapshot Snapshot => _snapshot;

    public long Version => _snapshot.Version;

    public ClusterView CreateView(long epoch, ImmutableArray<string> nodes, IEnumerable<string>? unavailable = null) =>
        new(epoch, nodes, _tokensPerNode, unavailable);

    /// <summary>Adopts a committed view (formation, commit, or a peer's newer view after a restart).
    /// Idempotent: a view at or below the current epoch changes nothing.</summary>
    public bool TryAdopt(long epoch, ImmutableArray<string> nodes, IReadOnlyCollection<string>? unavailable = null)
    {
        lock (_gate)
        {
            ClusterSnapshot s = _snapshot;
            if (epoch <= s.Current.Epoch)
            {
                return false;
            }

            ClusterView view = s.Pending is { } p && p.Epoch == epoch && unavailable is not { Count: > 0 } ? p : CreateView(epoch, nodes, unavailable);
            Publish(s.With(view, s.Pending is { } pending && pending.Epoch > epoch ? pending : null));
            return true;
        }
    }

    /// <summary>Records the view being moved to. The prepare may also teach a lagging node (one that
    /// was idle or restarted) the committed view the change starts from.</summary>
    public PrepareOutcome Prepare(long fromEpoch, ImmutableArray<string> fromNodes, IReadOnlyCollection<string>? fromUnavailable, long toEpoch, ImmutableArray<string> toNodes, string coordinator)
    {
        lock (_gate)
        {
            ClusterSnapshot s = _snapshot;
            if (s.Pending is { } committedElsewhere && committedElsewhere.Epoch == fromEpoch && committedElsewhere.SameMembersAs(fromNodes))
            {
                // The change this node was still pending on was committed by nodes it did not hear
                // from (its coordinator went down mid-commit, or finished it without this node).
                s = s.With(CreateView(fromEpoch, fromNodes, fromUnavailable), null);
            }

            if (s.Pending is { } pending)
            {
                return pending.Epoch == toEpoch && pending.SameMembersAs(toNodes)
                    ? PrepareOutcome.AlreadyPrepared
                    : PrepareOutcome.Conflict;
            }

            if (s.Current.Epoch > fromEpoch)
            {
                return s.Current.Epoch >= toEpoch && s.Current.SameMembersAs(toNodes)
                    ? PrepareOutcome.AlreadyCommitted
                    : PrepareOutcome.Stale;
            }

            ClusterView current = s.Current.Epoch == fromEpoch ? s.Current : CreateView(fromEpoch, fromNodes, fromUnavailable);
            Publish(s.With(current, CreateView(toEpoch, toNodes), coordinator));
            return PrepareOutcome.Prepared;
        }
    }

    /// <summary>Marks the start of this node's migration to the pending view: from now on, keys it
    /// loses are handed off rather than served here.</summary>
    public bool BeginHandoff(long pendingEpoch)
    {
        lock (_gate)
        {
            ClusterSnapshot s = _snapshot;
            if (s.Pending?.Epoch != pendingEpoch)
            {
                return false;
            }

            if (!s.HandingOff)
            {
                Publish(s.WithHandoffStarted());
            }

            return true;
        }
    }

    /// <summary>Replicated mode: adopts a decided configuration newer than the one the snapshot holds.
    /// The committed view becomes the configuration's view at its epoch, so everything that reads views
    /// (the view API, formation probes, the client) sees the configuration's epochs.</summary>
    public bool AdoptConfig(ClusterConfig config, PlacedMember self)
    {
        lock (_gate)
        {
            ClusterSnapshot s = _snapshot;
            if (s.Replica is { } known && known.Epoch >= config.Epoch)
            {
                return false;
            }

            var replica = new ReplicaState(config, new PlacementMap(config, _tokensPerNode), self, s.Replica?.Map);
            Publish(s.WithReplica(CreateView(config.Epoch, config.View), replica));
            return true;
        }
    }

    /// <summary>Replicated mode: this process became a new incarnation (see <see cref="NodeIdentity.Renew"/>);
    /// the configuration it knows now names it nowhere, so it serves nothing until it rejoins.</summary>
    public void Reincarnate(PlacedMember self)
    {
        lock (_gate)
        {
            ClusterSnapshot s = _snapshot;
            if (s.Replica is { } known)
            {
                Publish(s.WithReplica(s.Current, new ReplicaState(known.Config, known.Map, self, known.Previous)));
            }
        }
    }

    /// <summary>Drops a pending view that never started moving keys.</summary>
    public bool Abort(long pendingEpoch)
    {
        lock (_gate)
        {
            ClusterSnapshot s = _snapshot;
            if (s.Pending?.Epoch != pendingEpoch)
            {
                return false;
            }

            Publish(s.With(s.Current, null));
            return true;
        }
    }

    private void Publish(ClusterSnapshot next) => _snapshot = next;
}
