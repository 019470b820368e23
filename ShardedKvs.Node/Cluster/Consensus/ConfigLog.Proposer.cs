using System.Diagnostics;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Telemetry;

namespace ShardedKvs.Node.Cluster.Consensus;

/// <summary>
/// The proposer: drives <see cref="ProposalRound"/>s for one change, each on the newest decided
/// configuration, until a configuration carrying the change is decided or it no longer applies.
/// Ballots are unique to this process: its address and incarnation name them (no other process, not
/// even a restarted one at the same address, holds the same ballot), and one counter numbers every
/// attempt of every concurrent proposal. A preempted attempt backs off a random while.
/// </summary>
public sealed partial class ConfigLog
{
    public async Task<ProposeResult> ProposeAsync(ConfigChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        using Activity? activity = NodeTelemetry.Source.StartActivity("kvs.config.propose");
        activity?.SetTag("kvs.change", change.GetType().Name);
        ProposeResult result = await DriveAsync(change with { TraceParent = change.TraceParent ?? NodeTelemetry.CurrentTraceParent() }, cancellationToken);
        activity?.SetTag("kvs.applied", result.Applied);
        activity?.SetTag("kvs.decided_epoch", result.Decided?.Epoch);
        if (result.Refusal is { } refusal)
        {
            activity?.SetTag("kvs.refusal", refusal);
        }

        return result;
    }

    /// <summary>Rounds until the change is decided, refused, or the token fires. The configuration it
    /// makes carries the change's trace context, so what every node does because of it joins the trace.</summary>
    private async Task<ProposeResult> DriveAsync(ConfigChange change, CancellationToken cancellationToken)
    {
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

            var round = new ProposalRound(basis, new Ballot(NextRound(), _identity.Self.ToString()), change);
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

    private Task<VoterAnswer?> Local(Vote vote) => Task.FromResult<VoterAnswer?>(new VoterAnswer(_identity.Self, vote));
}
