using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Consensus;
using ShardedKvs.Tests.Cluster.Configuration;

namespace ShardedKvs.Tests.Cluster.Consensus;

public class EpochAcceptorTests
{
    private static readonly ClusterConfig First = ConfigTransitionsTests.Formed(3);

    private static ClusterConfig Next(ClusterConfig basis, int from) =>
        ConfigTransitions.Apply(basis, new ConfigChange.Rejoin(ConfigTransitionsTests.Member(from, incarnation: basis.Epoch + 10))).Next!;

    [Fact]
    public void A_promise_refuses_lower_and_equal_ballots_and_reports_what_it_accepted()
    {
        var acceptor = new EpochAcceptor(First);
        ClusterConfig value = Next(First, 0);

        Assert.Equal(VoteKind.Promised, acceptor.OnPrepare(new PrepareBallot(First, new Ballot(2, "a"))).Kind);
        Assert.Equal(VoteKind.Rejected, acceptor.OnPrepare(new PrepareBallot(First, new Ballot(2, "a"))).Kind);
        Assert.Equal(VoteKind.Rejected, acceptor.OnAccept(new AcceptProposal(First, new Ballot(1, "z"), value)).Kind);
        Assert.Equal(VoteKind.Accepted, acceptor.OnAccept(new AcceptProposal(First, new Ballot(2, "a"), value)).Kind);

        Vote later = acceptor.OnPrepare(new PrepareBallot(First, new Ballot(3, "b")));
        Assert.Equal(VoteKind.Promised, later.Kind);
        Assert.Equal(new Ballot(2, "a"), later.AcceptedBallot);
        Assert.Same(value, later.AcceptedValue);
    }

    [Fact]
    public void A_decided_epoch_answers_with_the_decision_and_a_newer_basis_is_learned_on_the_way()
    {
        ClusterConfig second = Next(First, 0);
        var acceptor = new EpochAcceptor(First);

        Assert.Equal(VoteKind.Promised, acceptor.OnPrepare(new PrepareBallot(second, new Ballot(1, "a"))).Kind);
        Assert.Same(second, acceptor.Decided);

        Vote outdated = acceptor.OnPrepare(new PrepareBallot(First, new Ballot(9, "b")));
        Assert.Equal(VoteKind.Outdated, outdated.Kind);
        Assert.Same(second, outdated.Decided);
    }

    [Fact]
    public void A_round_carries_a_value_a_voter_already_accepted_instead_of_its_own()
    {
        ClusterConfig theirs = Next(First, 1);
        var round = new ProposalRound(First, new Ballot(5, "me"), new ConfigChange.Rejoin(ConfigTransitionsTests.Member(2, incarnation: 77)));
        PlacedMember[] voters = [.. First.Voters];

        round.OnPromise(voters[0], new Vote(VoteKind.Promised, round.Ballot));
        round.OnPromise(voters[0], new Vote(VoteKind.Promised, round.Ballot)); // a duplicate counts once
        Assert.Equal(RoundPhase.Preparing, round.Phase);
        round.OnPromise(voters[1], new Vote(VoteKind.Promised, round.Ballot, new Ballot(4, "other"), theirs));

        Assert.Equal(RoundPhase.Accepting, round.Phase);
        Assert.Same(theirs, round.Value);
        Assert.False(round.CarriesOwnChange);
        round.OnAccepted(voters[2], new Vote(VoteKind.Accepted, round.Ballot));
        round.OnAccepted(voters[1], new Vote(VoteKind.Accepted, round.Ballot));
        Assert.Equal(RoundPhase.Decided, round.Phase);
    }

    [Fact]
    public void Votes_of_non_voters_do_not_count_and_a_rejection_preempts()
    {
        var round = new ProposalRound(First, new Ballot(1, "me"), new ConfigChange.Exclude(ConfigTransitionsTests.Member(2)));
        round.OnPromise(ConfigTransitionsTests.Member(0, incarnation: 99), new Vote(VoteKind.Promised, round.Ballot));
        round.OnPromise(ConfigTransitionsTests.Member(1, incarnation: 99), new Vote(VoteKind.Promised, round.Ballot));
        Assert.Equal(RoundPhase.Preparing, round.Phase);

        round.OnPromise(First.Voters[0], new Vote(VoteKind.Rejected, new Ballot(7, "rival")));
        Assert.Equal(RoundPhase.Preempted, round.Phase);
        Assert.Equal(new Ballot(7, "rival"), round.HigherBallot);
    }

    // The case that wedged DotNext's Raft (docs/consensus-evaluation.md, experiment m): {A, B} add D,
    // and A dies at once. B and D are a majority of the epoch that added D, and D learns that epoch from
    // the very proposal that asks for its vote, so they exclude A without it.
    [Fact]
    public void After_adding_a_member_the_survivors_and_the_newcomer_exclude_the_dead_one_without_it()
    {
        PlacedMember a = ConfigTransitionsTests.Member(0), b = ConfigTransitionsTests.Member(1), d = ConfigTransitionsTests.Member(3);
        ClusterConfig two = ConfigTransitions.Form([a, b], replicationFactor: 2);
        ClusterConfig three = ConfigTransitions.Apply(two, new ConfigChange.ChangeView([a, b, d])).Next!;
        var atB = new EpochAcceptor(three);
        var atD = new EpochAcceptor(two); // it never heard that it was added

        var round = new ProposalRound(three, new Ballot(1, b.Address), new ConfigChange.Exclude(a));
        round.OnPromise(b, atB.OnPrepare(round.Prepare));
        round.OnPromise(d, atD.OnPrepare(round.Prepare));
        Assert.Equal(RoundPhase.Accepting, round.Phase);
        round.OnAccepted(b, atB.OnAccept(round.Accept));
        round.OnAccepted(d, atD.OnAccept(round.Accept));

        Assert.Equal(RoundPhase.Decided, round.Phase);
        Assert.True(round.Value!.MemberAt(a.Address)!.Excluded);
        Assert.Same(three, atD.Decided);
    }
}
