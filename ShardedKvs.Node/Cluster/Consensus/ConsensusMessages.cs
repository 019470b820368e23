using ShardedKvs.Node.Cluster.Configuration;

namespace ShardedKvs.Node.Cluster.Consensus;

// The messages of single-decree Paxos over one epoch at a time: the slot decided is always the epoch
// after the newest configuration the proposer knows, and that configuration travels with every call,
// so an acceptor that lags learns it on the way and a new member can vote at once.

/// <summary>Phase 1: asks a voter to promise to ignore ballots below <paramref name="Ballot"/> for the epoch after <paramref name="Basis"/>.</summary>
public sealed record PrepareBallot(ClusterConfig Basis, Ballot Ballot);

/// <summary>Phase 2: asks a voter to accept <paramref name="Value"/> as the configuration of <c>Basis.Epoch + 1</c>.</summary>
public sealed record AcceptProposal(ClusterConfig Basis, Ballot Ballot, ClusterConfig Value);

public enum VoteKind
{
    /// <summary>Phase 1 granted; carries the highest proposal this voter accepted for the slot, if any.</summary>
    Promised,

    /// <summary>Phase 2 granted.</summary>
    Accepted,

    /// <summary>The voter promised a higher ballot; <see cref="Vote.Promised"/> says which.</summary>
    Rejected,

    /// <summary>The slot is already decided: <see cref="Vote.Decided"/> is the voter's newest configuration.</summary>
    Outdated,
}

/// <summary>A voter's answer to a prepare or an accept.</summary>
public sealed record Vote(VoteKind Kind, Ballot Promised, Ballot AcceptedBallot = default, ClusterConfig? AcceptedValue = null, ClusterConfig? Decided = null);
