using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Consensus;
using ShardedKvs.Ring;

namespace ShardedKvs.Node.Cluster.Peers;

// The configuration log's calls (PeerRoutes.Config*): the bodies, and their mapping to and from the
// consensus types. Everything a peer sends is checked before it becomes a ClusterConfig, whose
// constructor trusts its arguments.

/// <summary>One incarnation of one node (<see cref="PlacedMember"/>).</summary>
public sealed record PlacedMemberMessage(string Address, long Incarnation)
{
    public static PlacedMemberMessage From(PlacedMember member) => new(member.Address, member.Incarnation);

    public PlacedMember ToPlaced() => new(Address, Incarnation);

    public bool IsValid => Address is not null && ViewParser.IsValidAddress(Address) && Incarnation > 0;
}

/// <summary>A member of a configuration (<see cref="ConfigMember"/>).</summary>
public sealed record ConfigMemberMessage(string Address, long Incarnation, bool Excluded)
{
    public PlacedMemberMessage Placed => new(Address, Incarnation);
}

/// <summary>A decided configuration (<see cref="ClusterConfig"/>), field by field; <paramref name="TraceParent"/>
/// is the W3C traceparent of the span that proposed it, absent when none did.</summary>
public sealed record ConfigMessage(
    long Epoch,
    int ReplicationFactor,
    IReadOnlyList<string> View,
    IReadOnlyList<ConfigMemberMessage> Members,
    IReadOnlyList<PlacedMemberMessage> Placement,
    long FillEpoch,
    IReadOnlyList<PlacedMemberMessage> Filled,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TraceParent = null)
{
    public static ConfigMessage From(ClusterConfig config) => new(
        config.Epoch,
        config.ReplicationFactor,
        [.. config.View],
        [.. config.Members.Select(m => new ConfigMemberMessage(m.Address, m.Incarnation, m.Excluded))],
        [.. config.Placement.Select(PlacedMemberMessage.From)],
        config.FillEpoch,
        [.. config.Filled.Select(PlacedMemberMessage.From)],
        config.TraceParent);

    /// <summary>The configuration, or why this message is not one.</summary>
    public bool TryToConfig([NotNullWhen(true)] out ClusterConfig? config, [NotNullWhen(false)] out string? error)
    {
        config = null;
        error = Check();
        if (error is not null)
        {
            return false;
        }

        config = new ClusterConfig(
            Epoch,
            ReplicationFactor,
            [.. View],
            [.. Members.Select(m => new ConfigMember(m.Address, m.Incarnation, m.Excluded))],
            [.. Placement.Select(p => p.ToPlaced())],
            FillEpoch,
            [.. Filled.Select(p => p.ToPlaced())],
            TraceParent);
        return true;
    }

    private string? Check()
    {
        if (Epoch < 1 || ReplicationFactor < 1 || FillEpoch < 0 || FillEpoch > Epoch)
        {
            return "A configuration needs an epoch of at least 1, a replication factor of at least 1 and a fill epoch not after its epoch";
        }

        if (View is null || Members is null || Placement is null || Filled is null
            || Members.Any(m => m is null) || Placement.Any(p => p is null) || Filled.Any(p => p is null))
        {
            return "A configuration needs a view, members, a placement and the filled sources";
        }

        if (!Members.All(m => m.Placed.IsValid) || !Placement.All(p => p.IsValid) || !Filled.All(p => p.IsValid))
        {
            return "Every member of a configuration is a host:port with a positive incarnation";
        }

        if (TraceParent is not null && !ActivityContext.TryParse(TraceParent, traceState: null, out _))
        {
            return "A configuration's trace context is a W3C traceparent";
        }

        var members = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (!Members.All(m => members.Add(m.Address)))
        {
            return "A configuration names each member once";
        }

        return View.All(a => a is not null && members.Contains(a)) ? null : "Every address of a configuration's view is one of its members";
    }
}

/// <summary>A proposal's ballot (<see cref="Consensus.Ballot"/>).</summary>
public sealed record BallotMessage(long Round, string Proposer)
{
    public static BallotMessage From(Ballot ballot) => new(ballot.Round, ballot.Proposer ?? "");

    public Ballot ToBallot() => new(Round, Proposer ?? "");
}

/// <summary>Phase 1 (<see cref="PrepareBallot"/>).</summary>
public sealed record ConfigPrepareMessage(ConfigMessage Basis, BallotMessage Ballot)
{
    public static ConfigPrepareMessage From(PrepareBallot prepare) => new(ConfigMessage.From(prepare.Basis), BallotMessage.From(prepare.Ballot));

    public bool TryToPrepare([NotNullWhen(true)] out PrepareBallot? prepare, [NotNullWhen(false)] out string? error)
    {
        prepare = null;
        if (Basis is null || Ballot is null)
        {
            error = "A prepare carries its basis and its ballot";
            return false;
        }

        if (!Basis.TryToConfig(out ClusterConfig? basis, out error))
        {
            return false;
        }

        prepare = new PrepareBallot(basis, Ballot.ToBallot());
        return true;
    }
}

/// <summary>Phase 2 (<see cref="AcceptProposal"/>).</summary>
public sealed record ConfigAcceptMessage(ConfigMessage Basis, BallotMessage Ballot, ConfigMessage Value)
{
    public static ConfigAcceptMessage From(AcceptProposal accept) =>
        new(ConfigMessage.From(accept.Basis), BallotMessage.From(accept.Ballot), ConfigMessage.From(accept.Value));

    public bool TryToAccept([NotNullWhen(true)] out AcceptProposal? accept, [NotNullWhen(false)] out string? error)
    {
        accept = null;
        if (Basis is null || Ballot is null || Value is null)
        {
            error = "An accept carries its basis, its ballot and its value";
            return false;
        }

        if (!Basis.TryToConfig(out ClusterConfig? basis, out error) || !Value.TryToConfig(out ClusterConfig? value, out error))
        {
            return false;
        }

        if (value.Epoch != basis.Epoch + 1)
        {
            error = "An accepted value is the configuration of the epoch after its basis";
            return false;
        }

        accept = new AcceptProposal(basis, Ballot.ToBallot(), value);
        return true;
    }
}

/// <summary>A voter's answer (<see cref="VoterAnswer"/>): who voted, in which incarnation, and how.</summary>
public sealed record ConfigVoteMessage(
    PlacedMemberMessage Voter,
    [property: JsonConverter(typeof(JsonStringEnumConverter<VoteKind>))] VoteKind Kind,
    BallotMessage Promised,
    BallotMessage? AcceptedBallot = null,
    ConfigMessage? AcceptedValue = null,
    ConfigMessage? Decided = null)
{
    public static ConfigVoteMessage From(PlacedMember voter, Vote vote) => new(
        PlacedMemberMessage.From(voter),
        vote.Kind,
        BallotMessage.From(vote.Promised),
        vote.AcceptedValue is null ? null : BallotMessage.From(vote.AcceptedBallot),
        vote.AcceptedValue is null ? null : ConfigMessage.From(vote.AcceptedValue),
        vote.Decided is null ? null : ConfigMessage.From(vote.Decided));

    /// <summary>The answer, or null when it is not a well-formed one (which counts as no answer).</summary>
    public VoterAnswer? ToAnswer()
    {
        if (Voter is not { IsValid: true } || Promised is null || !Enum.IsDefined(Kind))
        {
            return null;
        }

        ClusterConfig? acceptedValue = null;
        ClusterConfig? decided = null;
        if ((AcceptedValue is not null && (AcceptedBallot is null || !AcceptedValue.TryToConfig(out acceptedValue, out _)))
            || (Decided is not null && !Decided.TryToConfig(out decided, out _)))
        {
            return null;
        }

        return new VoterAnswer(
            Voter.ToPlaced(),
            new Vote(Kind, Promised.ToBallot(), AcceptedBallot?.ToBallot() ?? default, acceptedValue, decided));
    }
}

/// <summary>A node's newest decided configuration, if it knows one.</summary>
public sealed record ConfigLatestMessage(PlacedMemberMessage Node, ConfigMessage? Latest);
