using System.Collections.Immutable;
using Microsoft.Extensions.Options;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Ring;

namespace ShardedKvs.Node.Cluster.Consensus;

/// <summary>
/// This node's part of the configuration log (docs/replication.md section 2): the voter of the epoch
/// being decided (an <see cref="EpochAcceptor"/>), the newest decided configuration, and a proposer
/// that drives <see cref="ProposalRound"/>s over an <see cref="IConfigTransport"/>.
/// <para>
/// Locking: <c>_gate</c> protects the acceptor, the latest and recent decisions, the queue of
/// decisions observers have not heard of yet, the ballot counter and the backoff's random numbers; it
/// is never held across I/O or an observer call. <c>_telling</c> lets one thread at a time tell the
/// observers, taking decisions from the queue in the order they were adopted, which is epoch order,
/// so every observer hears of each adopted epoch once, in increasing order, however many threads learn
/// at once. Observers must not block on another thread's call into this log.
/// </para>
/// </summary>
public sealed partial class ConfigLog : IConfigLog
{
    /// <summary>How many decisions are remembered by epoch, so a proposal can tell that its change was
    /// decided in an epoch whose round it lost track of.</summary>
    private const int RecentDecisions = 64;

    private readonly NodeIdentity _identity;
    private readonly IConfigTransport _transport;
    private readonly IConfigObserver[] _observers;
    private readonly TimeProvider _time;
    private readonly NodeOptions _options;
    private readonly ILogger<ConfigLog> _logger;
    private readonly ImmutableArray<string> _initialView;
    private readonly string _proposer;

    private readonly Lock _gate = new();
    private readonly SortedList<long, ClusterConfig> _recent = [];
    private readonly Queue<ClusterConfig> _untold = new();
    private readonly Random _backoff;
    private EpochAcceptor? _acceptor;
    private volatile ClusterConfig? _latest;
    private long _lastRound;

    private readonly Lock _telling = new();

    public ConfigLog(
        NodeIdentity identity,
        IConfigTransport transport,
        IEnumerable<IConfigObserver> observers,
        TimeProvider time,
        IOptions<NodeOptions> options,
        ILogger<ConfigLog> logger)
    {
        _identity = identity;
        _transport = transport;
        _observers = [.. observers];
        _time = time;
        _options = options.Value;
        _logger = logger;
        _initialView = ViewParser.TryParse(_options.View, out ImmutableArray<string> view, out _) ? view : [];

        // The process's incarnation names its ballots (no other process, not even a restarted one at
        // the same address, can hold the same ballot) and seeds its backoff.
        _proposer = identity.Self.ToString();
        _backoff = new Random(unchecked((int)identity.Incarnation ^ (int)(identity.Incarnation >> 32)));
    }

    public ClusterConfig? Latest => _latest;

    public bool Learn(ClusterConfig decided)
    {
        ArgumentNullException.ThrowIfNull(decided);
        lock (_gate)
        {
            if (!Adopt(decided))
            {
                return false;
            }
        }

        TellObservers();
        return true;
    }

    /// <summary>The voter's answer to phase 1. The basis the proposer carries is a decided
    /// configuration: a node that lags (or knows none yet, being new) adopts it first.</summary>
    public Vote OnPrepare(PrepareBallot prepare)
    {
        ArgumentNullException.ThrowIfNull(prepare);
        Vote vote;
        bool learned;
        lock (_gate)
        {
            learned = Adopt(prepare.Basis);
            vote = _acceptor!.OnPrepare(prepare);
        }

        if (learned)
        {
            TellObservers();
        }

        return vote;
    }

    /// <summary>The voter's answer to phase 2; learns the basis like <see cref="OnPrepare"/>.</summary>
    public Vote OnAccept(AcceptProposal accept)
    {
        ArgumentNullException.ThrowIfNull(accept);
        Vote vote;
        bool learned;
        lock (_gate)
        {
            learned = Adopt(accept.Basis);
            vote = _acceptor!.OnAccept(accept);
        }

        if (learned)
        {
            TellObservers();
        }

        return vote;
    }

    public async Task<ProposeResult> ProposeAsync(ConfigChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);

        // What this change made of each basis it was tried on, by the epoch it was meant for: if any
        // of those epochs was decided with it (by this proposal or a rival carrying it on), it is done.
        var attempts = new Dictionary<long, ClusterConfig>();
        int preemptions = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (DecidedWithOwnChange(attempts) is { } carried)
            {
                return new ProposeResult(true, carried);
            }

            if (Latest is not { } basis)
            {
                return new ProposeResult(false, null, "No configuration has been decided yet");
            }

            var round = new ProposalRound(basis, new Ballot(NextRound(), _proposer), change);
            if (round.Phase == RoundPhase.Refused)
            {
                LogRefused(_logger, change, basis.Epoch, round.Refusal!);
                return new ProposeResult(false, basis, round.Refusal);
            }

            attempts[basis.Epoch + 1] = ConfigTransitions.Apply(basis, change).Next!;
            await RunAsync(round, cancellationToken);
            switch (round.Phase)
            {
                case RoundPhase.Decided:
                    ClusterConfig decided = round.Value!;
                    Learn(decided);
                    _ = BroadcastAsync(decided);
                    if (attempts.TryGetValue(decided.Epoch, out ClusterConfig? own) && decided.Equals(own))
                    {
                        return new ProposeResult(true, decided);
                    }

                    preemptions = 0; // another proposal won this epoch: try the next one at once
                    break;
                case RoundPhase.Outdated:
                    Learn(round.Newer!);
                    preemptions = 0;
                    break;
                default:
                    // Preempted by a higher ballot, or too few voters answered in time: back off a
                    // random while, so that racing proposers stop preempting each other.
                    SeeRound(round.HigherBallot.Round);
                    await Task.Delay(Backoff(++preemptions), _time, cancellationToken);
                    break;
            }
        }
    }

    public async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        IEnumerable<string> peers = Latest is { } latest ? latest.Members.Select(m => m.Address) : _initialView;
        using CallDeadline calls = BoundedCalls(cancellationToken);
        await Task.WhenAll(Others(peers).Select(async peer =>
        {
            if (await Quietly(_transport.LatestAsync(peer, calls.Token)) is { } newer)
            {
                Learn(newer);
            }
        }));
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Phase 1, then (with a quorum of promises) phase 2, each sent to every voter of the
    /// basis at once and each bounded by one call timeout.</summary>
    private async Task RunAsync(ProposalRound round, CancellationToken cancellationToken)
    {
        PrepareBallot prepare = round.Prepare;
        await CollectAsync(
            round,
            RoundPhase.Preparing,
            (voter, token) => IsSelf(voter) ? Local(OnPrepare(prepare)) : _transport.PrepareAsync(voter, prepare, token),
            round.OnPromise,
            cancellationToken);
        if (round.Phase != RoundPhase.Accepting)
        {
            return;
        }

        AcceptProposal accept = round.Accept;
        await CollectAsync(
            round,
            RoundPhase.Accepting,
            (voter, token) => IsSelf(voter) ? Local(OnAccept(accept)) : _transport.AcceptAsync(voter, accept, token),
            round.OnAccepted,
            cancellationToken);
    }

    /// <summary>Feeds the round each voter's answer as it comes, until the round leaves
    /// <paramref name="phase"/> or every voter answered or timed out. Only this loop touches the
    /// round, so it needs no lock.</summary>
    private async Task CollectAsync(
        ProposalRound round,
        RoundPhase phase,
        Func<string, CancellationToken, Task<VoterAnswer?>> send,
        Action<PlacedMember, Vote> count,
        CancellationToken cancellationToken)
    {
        using CallDeadline calls = BoundedCalls(cancellationToken);
        List<Task<VoterAnswer?>> pending = [.. Distinct(round.Basis.Voters.Select(v => v.Address)).Select(voter => Quietly(send(voter, calls.Token)))];
        while (pending.Count > 0 && round.Phase == phase)
        {
            Task<VoterAnswer?> answered = await Task.WhenAny(pending);
            pending.Remove(answered);
            if (await answered is not { } answer)
            {
                continue;
            }

            if (answer.Vote.Decided is { } decided)
            {
                Learn(decided);
            }

            count(answer.Voter, answer.Vote);
        }

        // The round has what it waited for: the calls still out are of no use any more.
        await calls.CancelAsync();
    }

    /// <summary>Tells every member of a new configuration, including the excluded (best effort: a
    /// member that misses it catches up, or learns it from the next proposal).</summary>
    private async Task BroadcastAsync(ClusterConfig decided)
    {
        using CallDeadline calls = BoundedCalls(CancellationToken.None);
        await Task.WhenAll(Others(decided.Members.Select(m => m.Address)).Select(member => Quietly(_transport.DecidedAsync(member, decided, calls.Token))));
    }

    /// <summary>Under <c>_gate</c>: adopts a decision newer than the latest and queues it for the observers.</summary>
    private bool Adopt(ClusterConfig decided)
    {
        if (_acceptor is null)
        {
            _acceptor = new EpochAcceptor(decided);
        }
        else if (!_acceptor.Learn(decided))
        {
            return false;
        }

        _latest = decided;
        _recent[decided.Epoch] = decided;
        if (_recent.Count > RecentDecisions)
        {
            _recent.RemoveAt(0);
        }

        _untold.Enqueue(decided);
        return true;
    }

    private void TellObservers()
    {
        if (_telling.IsHeldByCurrentThread)
        {
            return; // an observer learned something: the loop it was called from tells it next
        }

        lock (_telling)
        {
            while (true)
            {
                ClusterConfig next;
                lock (_gate)
                {
                    if (!_untold.TryDequeue(out next!))
                    {
                        return;
                    }
                }

                LogDecided(_logger, next.Epoch, next);
                foreach (IConfigObserver observer in _observers)
                {
                    Tell(observer, next);
                }
            }
        }
    }

    private void Tell(IConfigObserver observer, ClusterConfig decided)
    {
        try
        {
            observer.OnDecided(decided);
        }
#pragma warning disable CA1031 // one failing observer must not keep the others (or the log) from hearing of a decision
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogObserverFailed(_logger, e, observer.GetType().Name, decided.Epoch);
        }
    }

    private ClusterConfig? DecidedWithOwnChange(Dictionary<long, ClusterConfig> attempts)
    {
        lock (_gate)
        {
            return attempts.FirstOrDefault(a => _recent.TryGetValue(a.Key, out ClusterConfig? decided) && decided.Equals(a.Value)).Value;
        }
    }

    /// <summary>A round number no ballot of this process used before, above any it saw.</summary>
    private long NextRound()
    {
        lock (_gate)
        {
            return ++_lastRound;
        }
    }

    private void SeeRound(long round)
    {
        lock (_gate)
        {
            _lastRound = Math.Max(_lastRound, round);
        }
    }

    /// <summary>Random, up to <see cref="NodeOptions.ConfigRetryBackoff"/> doubled per preemption in a row (at most eight times).</summary>
    private TimeSpan Backoff(int preemptions)
    {
        double most = _options.ConfigRetryBackoff.TotalMilliseconds * (1 << Math.Min(preemptions - 1, 3));
        lock (_gate)
        {
            return TimeSpan.FromMilliseconds(_backoff.NextDouble() * most);
        }
    }

    private CallDeadline BoundedCalls(CancellationToken cancellationToken) => new(_options.ConfigCallTimeout, _time, cancellationToken);

    private bool IsSelf(string address) => string.Equals(address, _identity.Address, StringComparison.OrdinalIgnoreCase);

    private IEnumerable<string> Others(IEnumerable<string> addresses) => Distinct(addresses).Where(a => !IsSelf(a));

    private static IEnumerable<string> Distinct(IEnumerable<string> addresses) => addresses.Distinct(StringComparer.OrdinalIgnoreCase);

    private Task<VoterAnswer?> Local(Vote vote) => Task.FromResult<VoterAnswer?>(new VoterAnswer(_identity.Self, vote));

    /// <summary>A call that ran out of time or was called off counts as no answer.</summary>
    private static async Task<T?> Quietly<T>(Task<T?> call)
        where T : class
    {
        try
        {
            return await call;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private static async Task Quietly(Task call)
    {
        try
        {
            await call;
        }
        catch (OperationCanceledException)
        {
        }
    }
}
