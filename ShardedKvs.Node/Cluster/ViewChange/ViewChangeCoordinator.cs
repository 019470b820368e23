using System.Collections.Immutable;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using ShardedKvs.Node.Api;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Telemetry;
using ShardedKvs.Ring;

namespace ShardedKvs.Node.Cluster.ViewChange;

/// <summary>
/// Runs a view change from the node that received it: prepare every node of the old and new
/// view, let every old node move the keys it loses, commit everywhere, then report key counts.
/// Every step is idempotent, so re-issuing a change that failed midway finishes it.
/// </summary>
public sealed partial class ViewChangeCoordinator(
    ClusterState state,
    PeerClient peers,
    NodeTelemetry telemetry,
    TimeProvider time,
    Microsoft.Extensions.Options.IOptions<NodeOptions> options,
    ILogger<ViewChangeCoordinator> logger) : IDisposable
{
    private const int ControlAttempts = 5;
    private const string MigratePath = "/internal/view-change/migrate";
    private readonly SemaphoreSlim _running = new(1, 1);
    private long _runningEpoch;

    public async Task<ViewChangeResult> ChangeAsync(ImmutableArray<string> nodes, CancellationToken cancellationToken)
    {
        if (!await _running.WaitAsync(0, cancellationToken))
        {
            return ViewChangeResult.Failure(StatusCodes.Status409Conflict, "Another view change is running on this node");
        }

        long started = time.GetTimestamp();
        using Activity? activity = NodeTelemetry.Source.StartActivity("kvs.view_change");
        try
        {
            ViewChangeResult result = await RunAsync(nodes, activity, cancellationToken);
            if (result.StatusCode != StatusCodes.Status200OK)
            {
                activity?.SetStatus(ActivityStatusCode.Error, result.Error);
            }

            return result;
        }
        finally
        {
            telemetry.ViewChangeDuration.Record(time.GetElapsedTime(started).TotalSeconds);
            _runningEpoch = 0;
            _running.Release();
        }
    }

    private async Task<ViewChangeResult> RunAsync(ImmutableArray<string> nodes, Activity? activity, CancellationToken cancellationToken)
    {
        ClusterSnapshot snapshot = state.Snapshot;
        if (!snapshot.IsFormed || snapshot.CurrentSelfIndex < 0)
        {
            return ViewChangeResult.Failure(StatusCodes.Status503ServiceUnavailable, "Only a serving member of the current view can change the view");
        }

        ClusterView from = snapshot.Current;
        var lost = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (snapshot.Pending is { } pending)
        {
            if (pending.SameMembersAs(nodes))
            {
                return await ExecuteAsync(from, pending, fresh: false, lost, activity, cancellationToken);
            }

            if (!await IsStalledAsync(snapshot, cancellationToken))
            {
                return ViewChangeResult.Failure(StatusCodes.Status409Conflict, $"A view change to epoch {pending.Epoch} ({pending.Text}) is under way");
            }

            ViewChangeResult? unfinished = await FinishStalledAsync(from, pending, lost, cancellationToken);
            if (unfinished is not null)
            {
                return unfinished;
            }

            from = state.Snapshot.Current;
        }

        if (from.SameMembersAs(nodes) && from.Unavailable.IsEmpty)
        {
            return WithLost(await CountKeysAsync(from, cancellationToken), lost);
        }

        return await ExecuteAsync(from, state.CreateView(from.Epoch + 1, nodes), fresh: true, lost, activity, cancellationToken);
    }

    /// <summary>Prepare, migrate, commit. A fresh change that cannot be prepared is aborted (nothing
    /// moved yet); a resumed one is left pending, since keys may already have moved.</summary>
    private async Task<ViewChangeResult> ExecuteAsync(ClusterView from, ClusterView to, bool fresh, HashSet<string> lost, Activity? activity, CancellationToken cancellationToken)
    {
        _runningEpoch = to.Epoch;
        activity?.SetTag("kvs.view.from", from.Text);
        activity?.SetTag("kvs.view.to", to.Text);
        activity?.SetTag("kvs.epoch", to.Epoch);
        ViewDiff diff = ViewDiff.Between(from.Nodes, to.Nodes);
        LogStarting(logger, from.Epoch, to.Epoch, diff.Added.Length, diff.Removed.Length);
        var change = new ChangeRef(to.Epoch, to.Text);
        ViewChangeResult? failure = await PrepareAsync(from, to, change, lost, abortOnFailure: fresh, cancellationToken)
            ?? await MigrateAsync(from, to, change, lost, cancellationToken)
            ?? await CommitAsync(from, to, change, lost, cancellationToken);
        return failure ?? WithLost(await CountKeysAsync(to, cancellationToken), lost);
    }

    /// <summary>The change this node is coordinating right now, for a node deciding whether a pending change is stalled.</summary>
    public long? RunningEpoch => _runningEpoch == 0 ? null : _runningEpoch;

    private static ViewChangeResult WithLost(ViewChangeResult result, HashSet<string> lost) =>
        lost.Count == 0 || result.Error is not null ? result : result with { LostNodes = [.. lost.Order(StringComparer.Ordinal)] };

    private static bool IsGone(PeerCallResult result, ClusterView to) => result.Refused && !to.Contains(result.Node);

    /// <summary>A node that leaves the view and whose port refuses connections is down for good: the
    /// change goes on without it and reports its keys lost. Any other failure stops the change.</summary>
    private static PeerCallResult? FirstFailure(IReadOnlyCollection<PeerCallResult> results, ClusterView to, HashSet<string> lost)
    {
        lost.UnionWith(results.Where(r => IsGone(r, to)).Select(r => r.Node));
        return results.FirstOrDefault(r => !r.Succeeded && !lost.Contains(r.Node));
    }

    private async Task<ViewChangeResult?> PrepareAsync(ClusterView from, ClusterView to, ChangeRef change, HashSet<string> lost, bool abortOnFailure, CancellationToken cancellationToken)
    {
        using Activity? activity = NodeTelemetry.Source.StartActivity("kvs.view_change.prepare");
        var request = new PrepareRequest(from.Epoch, from.Text, to.Epoch, to.Text)
        {
            FromUnavailable = from.Unavailable.IsEmpty ? null : from.Unavailable,
            Coordinator = state.Snapshot.Self,
        };
        string[] participants = Participants(from, to);

        // The lowest address of the old view is prepared first and alone: of two concurrent changes,
        // the one that prepares it wins and the other stops there, having prepared nothing. Then the
        // rest of the old view, and only then the joining nodes, so that when a joiner starts
        // forwarding requests every old member already knows it.
        string[] members = participants.Where(from.Contains).ToArray();
        string[] joiners = participants.Where(n => !from.Contains(n)).ToArray();
        var results = new List<PeerCallResult> { await CallAsync(members[0], "/internal/view-change/prepare", request, cancellationToken) };
        foreach (string[] wave in new[] { members[1..], joiners })
        {
            if (results.Any(r => !r.Succeeded && !IsGone(r, to)))
            {
                break;
            }

            results.AddRange(await Task.WhenAll(wave.Select(n => CallAsync(n, "/internal/view-change/prepare", request, cancellationToken))));
        }

        PeerCallResult? failed = FirstFailure(results, to, lost);
        if (failed is null)
        {
            LogPrepared(logger, to.Epoch, results.Count - lost.Count);
            return null;
        }

        activity?.SetStatus(ActivityStatusCode.Error, failed.Error);
        if (!abortOnFailure)
        {
            return ViewChangeResult.Failure(
                StatusCodes.Status503ServiceUnavailable,
                $"Node {failed.Node} could not be prepared ({failed.Error}); the change stays pending: re-issue it once {failed.Node} is back, or issue a view without it",
                failed.Node);
        }

        await Task.WhenAll(results.Where(r => r.Succeeded).Select(r => CallAsync(r.Node, "/internal/view-change/abort", change, CancellationToken.None)));
        LogAborted(logger, to.Epoch, failed.Node, failed.Error ?? "");
        return failed.Status == HttpStatusCode.Conflict
            ? ViewChangeResult.Failure(StatusCodes.Status409Conflict, $"Node {failed.Node} is in another view change: {failed.Error}", failed.Node)
            : ViewChangeResult.Failure(StatusCodes.Status503ServiceUnavailable, $"Node {failed.Node} could not be prepared ({failed.Error}); nothing was moved", failed.Node);
    }

    private async Task<ViewChangeResult?> MigrateAsync(ClusterView from, ClusterView to, ChangeRef change, HashSet<string> lost, CancellationToken cancellationToken)
    {
        using Activity? activity = NodeTelemetry.Source.StartActivity("kvs.view_change.migrate");
        PeerCallResult[] results = await Task.WhenAll(from.Nodes.Where(n => !lost.Contains(n)).Select(n => CallAsync(n, MigratePath, change, cancellationToken)));
        PeerCallResult? failed = FirstFailure(results, to, lost);
        if (failed is null)
        {
            LogMigrated(logger, change.Epoch, results.Length - lost.Count);
            return null;
        }

        activity?.SetStatus(ActivityStatusCode.Error, failed.Error);
        LogMigrationFailed(logger, change.Epoch, failed.Node, failed.Error ?? "");
        return ViewChangeResult.Failure(
            StatusCodes.Status503ServiceUnavailable,
            $"Moving keys from {failed.Node} failed ({failed.Error}); no acknowledged key was lost. Re-issue the same view change to finish it, or, if a node is down for good, a view without it",
            failed.Node);
    }

    private async Task<ViewChangeResult?> CommitAsync(ClusterView from, ClusterView to, ChangeRef change, HashSet<string> lost, CancellationToken cancellationToken)
    {
        using Activity? activity = NodeTelemetry.Source.StartActivity("kvs.view_change.commit");
        PeerCallResult[] results = await Task.WhenAll(Participants(from, to).Where(n => !lost.Contains(n)).Select(n => CallAsync(n, "/internal/view-change/commit", change, cancellationToken)));
        if (results.All(r => r.Succeeded))
        {
            LogCommitted(logger, to.Epoch, to.Text);
            return null;
        }

        PeerCallResult failed = results.First(r => !r.Succeeded);
        activity?.SetStatus(ActivityStatusCode.Error, failed.Error);
        return ViewChangeResult.Failure(
            StatusCodes.Status503ServiceUnavailable,
            $"Committed epoch {to.Epoch}, but {failed.Node} did not acknowledge ({failed.Error}); it will learn the view from its peers",
            failed.Node);
    }

    private async Task<ViewChangeResult> CountKeysAsync(ClusterView view, CancellationToken cancellationToken)
    {
        var shards = new List<ShardInfo>(view.Nodes.Length);
        foreach (string node in view.Nodes)
        {
            try
            {
                using HttpResponseMessage response = await peers.GetAsync(node, "/internal/key-count", cancellationToken);
                KeyCount? count = response.IsSuccessStatusCode
                    ? await response.Content.ReadFromJsonAsync(NodeJson.Context.KeyCount, cancellationToken)
                    : null;
                if (count is null)
                {
                    return ViewChangeResult.Failure(StatusCodes.Status503ServiceUnavailable, $"Node {node} did not report its key count", node);
                }

                shards.Add(new ShardInfo(node, count.Count));
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                return ViewChangeResult.Failure(StatusCodes.Status503ServiceUnavailable, $"Node {node} is unreachable", node);
            }
        }

        return ViewChangeResult.Success(shards);
    }

    private Task<PeerCallResult> CallAsync(string node, HttpMethod method, string path, CancellationToken cancellationToken) =>
        CallAsync<object?>(node, path, message: null, cancellationToken, method);

    /// <summary>Every control step is idempotent, so a call that got no answer (lost on the way, or its
    /// answer lost) is sent again a few times; a refused connection or an answer is final.</summary>
    private async Task<PeerCallResult> CallAsync<T>(string node, string path, T message, CancellationToken cancellationToken, HttpMethod? method = null)
    {
        PeerCallResult result = await CallOnceAsync(node, path, message, method, cancellationToken);
        for (int attempt = 2; attempt <= ControlAttempts && result.Status is null && !result.Refused; attempt++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), time, cancellationToken);
            result = await CallOnceAsync(node, path, message, method, cancellationToken);
        }

        return result;
    }

    private async Task<PeerCallResult> CallOnceAsync<T>(string node, string path, T message, HttpMethod? method, CancellationToken cancellationToken)
    {
        try
        {
            // Moving keys takes as long as there are keys to move; every other step is quick.
            TimeSpan? timeout = path == MigratePath ? options.Value.MigrationTimeout : null;
            using HttpResponseMessage response = method == HttpMethod.Get
                ? await peers.GetAsync(node, path, cancellationToken)
                : await peers.PostAsync(node, path, message, cancellationToken, timeout);
            if (response.IsSuccessStatusCode)
            {
                return new PeerCallResult(node, response.StatusCode, null);
            }

            PeerError? error = await PeerClient.TryReadErrorAsync(response, cancellationToken);
            return new PeerCallResult(node, response.StatusCode, error?.Error ?? $"answered {(int)response.StatusCode}");
        }
        catch (HttpRequestException e)
        {
            bool refused = e.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused };
            return new PeerCallResult(node, null, refused ? "connection refused" : "unreachable", refused);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new PeerCallResult(node, null, "did not answer in time");
        }
    }

    public void Dispose() => _running.Dispose();

    private static string[] Participants(ClusterView from, ClusterView to) =>
        from.Nodes.Union(to.Nodes, StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToArray();
}
