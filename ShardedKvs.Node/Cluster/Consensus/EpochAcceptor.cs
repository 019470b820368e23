using ShardedKvs.Node.Cluster.Configuration;

namespace ShardedKvs.Node.Cluster.Consensus;

/// <summary>
/// A voter of the configuration log: the acceptor of single-decree Paxos for the one epoch not yet
/// decided after <see cref="Decided"/>. Its memory dies with its process, which is safe because a vote
/// counts only for the incarnation the configuration names: a restarted node is a new voter, added
/// (and its old incarnation removed) by a decision like any other. Not thread-safe: its owner calls it
/// under one lock.
/// </summary>
public sealed class EpochAcceptor(ClusterConfig decided)
{
    private Ballot _promised = Ballot.None;
    private Ballot _acceptedBallot = Ballot.None;
    private ClusterConfig? _acceptedValue;

    /// <summary>The newest configuration this voter knows to be decided.</summary>
    public ClusterConfig Decided { get; private set; } = decided;

    public Vote OnPrepare(PrepareBallot prepare)
    {
        if (Outdated(prepare.Basis) is { } outdated)
        {
            return outdated;
        }

        if (prepare.Ballot <= _promised)
        {
            return new Vote(VoteKind.Rejected, _promised);
        }

        _promised = prepare.Ballot;
        return new Vote(VoteKind.Promised, _promised, _acceptedBallot, _acceptedValue);
    }

    public Vote OnAccept(AcceptProposal accept)
    {
        if (Outdated(accept.Basis) is { } outdated)
        {
            return outdated;
        }

        if (accept.Ballot < _promised)
        {
            return new Vote(VoteKind.Rejected, _promised);
        }

        _promised = _acceptedBallot = accept.Ballot;
        _acceptedValue = accept.Value;
        return new Vote(VoteKind.Accepted, _promised);
    }

    /// <summary>Adopts a decided configuration newer than the one it knows; the votes of the slot it
    /// decided are done with.</summary>
    public bool Learn(ClusterConfig decided)
    {
        if (decided.Epoch <= Decided.Epoch)
        {
            return false;
        }

        Decided = decided;
        _promised = _acceptedBallot = Ballot.None;
        _acceptedValue = null;
        return true;
    }

    /// <summary>A call about a slot this voter has seen decided gets the decision; a call from a
    /// proposer that knows a newer configuration teaches it to this voter first.</summary>
    private Vote? Outdated(ClusterConfig basis)
    {
        if (basis.Epoch < Decided.Epoch)
        {
            return new Vote(VoteKind.Outdated, _promised, Decided: Decided);
        }

        Learn(basis);
        return null;
    }
}
