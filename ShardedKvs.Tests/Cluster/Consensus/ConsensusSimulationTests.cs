using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Consensus;
using ShardedKvs.Tests.Cluster.Configuration;
using Xunit.Abstractions;

namespace ShardedKvs.Tests.Cluster.Consensus;

/// <summary>
/// FoundationDB-style simulation of the configuration log: several proposers race to decide epochs
/// while a seeded scheduler delivers, drops, duplicates and reorders every message, voters crash and
/// come back as new incarnations, and the voter set changes with the decisions. Deterministic for a
/// seed, so a failure replays exactly. Checks that every epoch is decided once (agreement), that each
/// decision follows from the one before (validity), and that decisions keep being made (progress).
/// </summary>
public class ConsensusSimulationTests(ITestOutputHelper output)
{
    private const int Steps = 20_000;

    public static TheoryData<int> Seeds => [.. Enumerable.Range(1, 12)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Every_epoch_is_decided_once_and_from_the_one_before(int seed)
    {
        output.WriteLine($"seed {seed}");
        var world = new World(seed);
        world.Run(Steps);

        output.WriteLine($"decided {world.Decided.Count} epochs, {world.Delivered} messages delivered, {world.Dropped} dropped, {world.Crashes} crashes");
        Assert.True(world.Decided.Count >= 20, $"seed {seed}: only {world.Decided.Count} epochs decided in {Steps} steps");
    }

    private sealed class World
    {
        private readonly Random _random;
        private readonly Dictionary<PlacedMember, EpochAcceptor> _voters = [];
        private readonly HashSet<PlacedMember> _crashed = [];
        private readonly List<Proposer> _proposers = [];
        private readonly List<Message> _network = [];
        private long _nextIncarnation = 100;

        public World(int seed)
        {
            _random = new Random(seed);
            ClusterConfig first = ConfigTransitionsTests.Formed(5);
            Decided[first.Epoch] = first;
            foreach (PlacedMember voter in first.Voters)
            {
                _voters[voter] = new EpochAcceptor(first);
            }

            for (int i = 0; i < 3; i++)
            {
                _proposers.Add(new Proposer($"proposer-{i}", first));
            }
        }

        /// <summary>Every decision any proposer reached, by epoch.</summary>
        public Dictionary<long, ClusterConfig> Decided { get; } = [];

        public int Delivered { get; private set; }

        public int Dropped { get; private set; }

        public int Crashes { get; private set; }

        public void Run(int steps)
        {
            for (int step = 0; step < steps; step++)
            {
                int roll = _random.Next(1000);
                if (roll < 5)
                {
                    CrashAndRestartAVoter();
                }
                else if (roll < 60 || _network.Count == 0)
                {
                    Proposer proposer = _proposers[_random.Next(_proposers.Count)];
                    if (proposer.Round is null || _random.Next(4) == 0)
                    {
                        StartRound(proposer); // a new attempt, or a timeout of a stuck one
                    }
                }
                else
                {
                    DeliverOne();
                }
            }
        }

        private void CrashAndRestartAVoter()
        {
            ClusterConfig newest = Decided[Decided.Keys.Max()];
            PlacedMember[] alive = [.. newest.Voters.Where(v => !_crashed.Contains(v))];
            if (alive.Length <= newest.Quorum)
            {
                return; // keep a quorum alive: safety is checked under every schedule, progress needs one
            }

            PlacedMember victim = alive[_random.Next(alive.Length)];
            _crashed.Add(victim);
            _voters.Remove(victim);
            Crashes++;

            // It comes back empty, as a new incarnation that must be decided in like any change.
            _proposers[_random.Next(_proposers.Count)].Pending.Enqueue(new ConfigChange.Rejoin(victim with { Incarnation = _nextIncarnation++ }));
        }

        private void StartRound(Proposer proposer)
        {
            ClusterConfig basis = proposer.Basis;
            ConfigChange change = proposer.Pending.Count > 0 ? proposer.Pending.Peek() : Background(basis);
            proposer.BallotRound = Math.Max(proposer.BallotRound, proposer.Round?.HigherBallot.Round ?? 0) + 1;
            proposer.Round = new ProposalRound(basis, new Ballot(proposer.BallotRound, proposer.Name), change);
            if (proposer.Round.Phase == RoundPhase.Refused)
            {
                if (proposer.Pending.Count > 0)
                {
                    proposer.Pending.Dequeue();
                }

                proposer.Round = null;
                return;
            }

            foreach (PlacedMember voter in basis.Voters)
            {
                _network.Add(new Message(proposer, voter, proposer.Round, proposer.Round.Prepare, null));
            }
        }

        /// <summary>What proposers do when nothing is queued: report fills, as sources would.</summary>
        private ConfigChange Background(ClusterConfig basis)
        {
            if (basis.IsFilling && basis.Sources.Length > 0)
            {
                return new ConfigChange.ReportFilled(basis.Sources[_random.Next(basis.Sources.Length)], basis.FillEpoch);
            }

            PlacedMember[] crashedVoters = [.. basis.Voters.Where(_crashed.Contains)];
            if (crashedVoters.Length > 0)
            {
                return new ConfigChange.Exclude(crashedVoters[_random.Next(crashedVoters.Length)]);
            }

            List<PlacedMember> view = [.. basis.View.Select(a => basis.MemberAt(a)!.Placed)];
            if (view.Count < 7)
            {
                PlacedMember joiner = new($"localhost:{14000 + (int)_nextIncarnation}", _nextIncarnation++);
                _voters[joiner] = new EpochAcceptor(basis);
                view.Add(joiner);
            }
            else
            {
                view.RemoveAt(_random.Next(view.Count));
            }

            return new ConfigChange.ChangeView([.. view]);
        }

        private void DeliverOne()
        {
            int index = _random.Next(_network.Count);
            Message message = _network[index];
            int roll = _random.Next(100);
            if (roll < 10)
            {
                _network.RemoveAt(index);
                Dropped++;
                return;
            }

            if (roll >= 5)
            {
                _network.RemoveAt(index); // otherwise delivered and left in flight: a duplicate
            }

            Delivered++;
            if (message.Vote is null)
            {
                if (_crashed.Contains(message.Voter) || !_voters.TryGetValue(message.Voter, out EpochAcceptor? acceptor))
                {
                    return;
                }

                Vote vote = message.Request is PrepareBallot prepare ? acceptor.OnPrepare(prepare) : acceptor.OnAccept((AcceptProposal)message.Request!);
                _network.Add(message with { Request = null, Vote = vote, WasPrepare = message.Request is PrepareBallot });
                return;
            }

            Answer(message);
        }

        private void Answer(Message message)
        {
            Proposer proposer = message.Proposer;
            ProposalRound? round = proposer.Round;
            if (!ReferenceEquals(round, message.Round))
            {
                return; // an answer to an attempt the proposer has given up
            }

            RoundPhase before = round.Phase;
            if (message.WasPrepare)
            {
                round.OnPromise(message.Voter, message.Vote!);
            }
            else
            {
                round.OnAccepted(message.Voter, message.Vote!);
            }

            switch (round.Phase)
            {
                case RoundPhase.Accepting when before == RoundPhase.Preparing:
                    foreach (PlacedMember voter in round.Basis.Voters)
                    {
                        _network.Add(new Message(proposer, voter, round, round.Accept, null));
                    }

                    break;
                case RoundPhase.Decided:
                    Record(round);
                    if (round.CarriesOwnChange && proposer.Pending.Count > 0)
                    {
                        proposer.Pending.Dequeue();
                    }

                    proposer.Learn(round.Value!);
                    break;
                case RoundPhase.Outdated:
                    proposer.Learn(round.Newer!);
                    break;
                case RoundPhase.Preempted:
                    proposer.Round = round; // the next StartRound goes above HigherBallot
                    break;
            }
        }

        private void Record(ProposalRound round)
        {
            ClusterConfig value = round.Value!;
            Assert.Equal(round.Basis.Epoch + 1, value.Epoch);
            Assert.True(Decided.TryGetValue(round.Basis.Epoch, out ClusterConfig? basis) && basis.Equals(round.Basis), $"epoch {value.Epoch} was decided from an undecided basis");
            if (Decided.TryGetValue(value.Epoch, out ClusterConfig? earlier))
            {
                Assert.True(earlier.Equals(value), $"epoch {value.Epoch} decided twice, differently:\n{earlier}\n{value}");
            }

            Decided[value.Epoch] = value;

            // Voters learn the decision too (the real node broadcasts it); those that miss it learn it
            // from the next proposal's basis.
            foreach (EpochAcceptor acceptor in _voters.Values.Where(_ => _random.Next(2) == 0))
            {
                acceptor.Learn(value);
            }

            foreach (PlacedMember voter in value.Voters.Where(v => !_voters.ContainsKey(v) && !_crashed.Contains(v)))
            {
                _voters[voter] = new EpochAcceptor(value); // a rejoined incarnation starts voting
            }
        }
    }

    private sealed class Proposer(string name, ClusterConfig basis)
    {
        public string Name { get; } = name;

        public ClusterConfig Basis { get; private set; } = basis;

        public ProposalRound? Round { get; set; }

        public long BallotRound { get; set; }

        public Queue<ConfigChange> Pending { get; } = new();

        public void Learn(ClusterConfig decided)
        {
            if (decided.Epoch > Basis.Epoch)
            {
                Basis = decided;
            }

            Round = null;
        }
    }

    private sealed record Message(Proposer Proposer, PlacedMember Voter, ProposalRound Round, object? Request, Vote? Vote, bool WasPrepare = false);
}
