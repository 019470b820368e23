using ShardedKvs.Node.Cluster.Configuration;

namespace ShardedKvs.Node.Cluster.Consensus;

/// <summary>
/// One attempt, under one ballot, to decide the epoch after <see cref="Basis"/>: gather promises from a
/// quorum of its voters, then their acceptances. If a voter already accepted another proposal for the
/// epoch, that proposal is the one this round must carry (so a decision, once made, is never undone),
/// and the caller's own change waits for the next epoch. Pure: its driver sends the messages it asks
/// for and feeds it the answers, in any order, each voter's first answer per phase counting once.
/// </summary>
public sealed class ProposalRound
{
    private readonly HashSet<PlacedMember> _promised = [];
    private readonly HashSet<PlacedMember> _accepted = [];
    private Ballot _highestAccepted = Ballot.None;
    private readonly ClusterConfig? _ownValue;

    public ProposalRound(ClusterConfig basis, Ballot ballot, ConfigChange change)
    {
        Basis = basis;
        Ballot = ballot;
        Change = change;
        ConfigDecision own = ConfigTransitions.Apply(basis, change);
        _ownValue = own.Next;
        Refusal = own.Refusal;
        Phase = own.IsDecided ? RoundPhase.Preparing : RoundPhase.Refused;
    }

    public ClusterConfig Basis { get; }

    public Ballot Ballot { get; }

    public ConfigChange Change { get; }

    public RoundPhase Phase { get; private set; }

    /// <summary>Why the change does not apply to <see cref="Basis"/> (phase <see cref="RoundPhase.Refused"/>).</summary>
    public string? Refusal { get; }

    /// <summary>What the round proposes in phase 2 and decides: this change applied to the basis, or
    /// the proposal a voter had already accepted.</summary>
    public ClusterConfig? Value { get; private set; }

    /// <summary>Whether <see cref="Value"/> is this round's own change (false: it finished another's).</summary>
    public bool CarriesOwnChange => Value is not null && ReferenceEquals(Value, _ownValue);

    /// <summary>The ballot that beat this one (phase <see cref="RoundPhase.Preempted"/>): a retry must go above it.</summary>
    public Ballot HigherBallot { get; private set; } = Ballot.None;

    /// <summary>A newer decided configuration a voter taught this round (phase <see cref="RoundPhase.Outdated"/>).</summary>
    public ClusterConfig? Newer { get; private set; }

    public PrepareBallot Prepare => new(Basis, Ballot);

    public AcceptProposal Accept => new(Basis, Ballot, Value ?? throw new InvalidOperationException("No value before a quorum promised"));

    public void OnPromise(PlacedMember voter, Vote vote)
    {
        if (Phase != RoundPhase.Preparing || !Basis.Voters.Contains(voter) || Interrupted(vote))
        {
            return;
        }

        if (vote.Kind != VoteKind.Promised || !_promised.Add(voter))
        {
            return;
        }

        if (vote.AcceptedValue is { } accepted && vote.AcceptedBallot > _highestAccepted)
        {
            _highestAccepted = vote.AcceptedBallot;
            Value = accepted;
        }

        if (_promised.Count >= Basis.Quorum)
        {
            Value ??= _ownValue;
            Phase = RoundPhase.Accepting;
        }
    }

    public void OnAccepted(PlacedMember voter, Vote vote)
    {
        if (Phase != RoundPhase.Accepting || !Basis.Voters.Contains(voter) || Interrupted(vote))
        {
            return;
        }

        if (vote.Kind == VoteKind.Accepted && _accepted.Add(voter) && _accepted.Count >= Basis.Quorum)
        {
            Phase = RoundPhase.Decided;
        }
    }

    private bool Interrupted(Vote vote)
    {
        switch (vote.Kind)
        {
            case VoteKind.Rejected:
                HigherBallot = vote.Promised > HigherBallot ? vote.Promised : HigherBallot;
                Phase = RoundPhase.Preempted;
                return true;
            case VoteKind.Outdated when vote.Decided is { } decided && decided.Epoch > Basis.Epoch:
                Newer = decided;
                Phase = RoundPhase.Outdated;
                return true;
            default:
                return false;
        }
    }
}

public enum RoundPhase
{
    /// <summary>Waiting for a quorum of promises.</summary>
    Preparing,

    /// <summary>Waiting for a quorum of acceptances of <see cref="ProposalRound.Value"/>.</summary>
    Accepting,

    /// <summary><see cref="ProposalRound.Value"/> is the configuration of the next epoch.</summary>
    Decided,

    /// <summary>A voter promised a higher ballot; retry above it.</summary>
    Preempted,

    /// <summary>The epoch is already decided; retry on the newer configuration.</summary>
    Outdated,

    /// <summary>The change does not apply to the basis (stale, or already done).</summary>
    Refused,
}
