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
    // Enumerated at the first decision, not at construction: an observer may itself depend on the
    // log (it proposes, or reads Latest), which a constructor-time resolution would make a cycle.
    private readonly Lazy<IConfigObserver[]> _observers;
    private readonly TimeProvider _time;
    private readonly NodeOptions _options;
    private readonly ILogger<ConfigLog> _logger;
    private readonly ImmutableArray<string> _initialView;

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
        _observers = new Lazy<IConfigObserver[]>(() => [.. observers]);
        _time = time;
        _options = options.Value;
        _logger = logger;
        _initialView = ViewParser.TryParse(_options.View, out ImmutableArray<string> view, out _) ? view : [];

        // The incarnation seeds the backoff, so two nodes backing off from each other draw differently.
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

    public async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        // The voters, not the excluded members: a majority of the voters of an epoch knows every decision
        // after it, and an excluded member only learns decisions. A dead one would cost a failed
        // connection (and its exceptions) every round for as long as it stays excluded.
        IEnumerable<string> peers = Latest is { } latest ? latest.Voters.Select(v => v.Address) : _initialView;
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
                foreach (IConfigObserver observer in _observers.Value)
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
        catch (Exception e)
        {
            // One failing observer must not keep the others (or the log) from hearing of a decision.
            LogObserverFailed(_logger, e, observer.GetType().Name, decided.Epoch);
        }
    }

    private CallDeadline BoundedCalls(CancellationToken cancellationToken) => new(_options.ConfigCallTimeout, _time, cancellationToken);

    private bool IsSelf(string address) => string.Equals(address, _identity.Address, StringComparison.OrdinalIgnoreCase);

    private IEnumerable<string> Others(IEnumerable<string> addresses) => Distinct(addresses).Where(a => !IsSelf(a));

    private static IEnumerable<string> Distinct(IEnumerable<string> addresses) => addresses.Distinct(StringComparer.OrdinalIgnoreCase);

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
