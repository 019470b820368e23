using System.Collections.Immutable;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using ShardedKvs.Node.Api;
using ShardedKvs.Node.Ring;
using ShardedKvs.Node.Telemetry;

namespace ShardedKvs.Node.Cluster;

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
    ILogger<ViewChangeCoordinator> logger) : IDisposable
{
    private const int CommitAttempts = 3;
    private readonly SemaphoreSlim _running = new(1, 1);

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
        ClusterView to;
        if (snapshot.Pending is { } pending)
        {
            if (!pending.SameMembersAs(nodes))
            {
                return ViewChangeResult.Failure(StatusCodes.Status409Conflict, $"A view change to epoch {pending.Epoch} ({pending.Text}) is under way; re-issue it to finish it");
            }

            to = pending;
        }
        else if (from.SameMembersAs(nodes))
        {
            return await CountKeysAsync(from, cancellationToken);
        }
        else
        {
            to = state.CreateView(from.Epoch + 1, nodes);
        }

        activity?.SetTag("kvs.view.from", from.Text);
        activity?.SetTag("kvs.view.to", to.Text);
        activity?.SetTag("kvs.epoch", to.Epoch);
        ViewDiff diff = ViewDiff.Between(from.Nodes, to.Nodes);
        LogStarting(logger, from.Epoch, to.Epoch, diff.Added.Length, diff.Removed.Length);
        var change = new ChangeRef(to.Epoch, to.Text);

        ViewChangeResult? failure = await PrepareAsync(from, to, change, cancellationToken);
        if (failure is not null)
        {
            return failure;
        }

        failure = await MigrateAsync(from, change, cancellationToken);
        if (failure is not null)
        {
            return failure;
        }

        failure = await CommitAsync(from, to, change, cancellationToken);
        return failure ?? await CountKeysAsync(to, cancellationToken);
    }

    private async Task<ViewChangeResult?> PrepareAsync(ClusterView from, ClusterView to, ChangeRef change, CancellationToken cancellationToken)
    {
        using Activity? activity = NodeTelemetry.Source.StartActivity("kvs.view_change.prepare");
        var request = new PrepareRequest(from.Epoch, from.Text, to.Epoch, to.Text);
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
            if (results.Any(r => !r.Succeeded))
            {
                break;
            }

            results.AddRange(await Task.WhenAll(wave.Select(n => CallAsync(n, "/internal/view-change/prepare", request, cancellationToken))));
        }

        PeerCallResult? failed = results.FirstOrDefault(r => !r.Succeeded);
        if (failed is null)
        {
            LogPrepared(logger, to.Epoch, results.Count);
            return null;
        }

        activity?.SetStatus(ActivityStatusCode.Error, failed.Error);
        await Task.WhenAll(results.Where(r => r.Succeeded).Select(r => CallAsync(r.Node, "/internal/view-change/abort", change, CancellationToken.None)));
        LogAborted(logger, to.Epoch, failed.Node, failed.Error ?? "");
        return failed.Status == HttpStatusCode.Conflict
            ? ViewChangeResult.Failure(StatusCodes.Status409Conflict, $"Node {failed.Node} is in another view change: {failed.Error}", failed.Node)
            : ViewChangeResult.Failure(StatusCodes.Status503ServiceUnavailable, $"Node {failed.Node} could not be prepared ({failed.Error}); nothing was moved", failed.Node);
    }

    private async Task<ViewChangeResult?> MigrateAsync(ClusterView from, ChangeRef change, CancellationToken cancellationToken)
    {
        using Activity? activity = NodeTelemetry.Source.StartActivity("kvs.view_change.migrate");
        PeerCallResult[] results = await Task.WhenAll(from.Nodes.Select(n => CallAsync(n, "/internal/view-change/migrate", change, cancellationToken)));
        PeerCallResult? failed = results.FirstOrDefault(r => !r.Succeeded);
        if (failed is null)
        {
            return null;
        }

        activity?.SetStatus(ActivityStatusCode.Error, failed.Error);
        LogMigrationFailed(logger, change.Epoch, failed.Node, failed.Error ?? "");
        return ViewChangeResult.Failure(
            StatusCodes.Status503ServiceUnavailable,
            $"Moving keys from {failed.Node} failed ({failed.Error}); no acknowledged key was lost. Re-issue the same view change to finish it",
            failed.Node);
    }

    private async Task<ViewChangeResult?> CommitAsync(ClusterView from, ClusterView to, ChangeRef change, CancellationToken cancellationToken)
    {
        using Activity? activity = NodeTelemetry.Source.StartActivity("kvs.view_change.commit");
        IEnumerable<string> remaining = Participants(from, to);
        PeerCallResult[] results = [];
        for (int attempt = 1; attempt <= CommitAttempts; attempt++)
        {
            results = await Task.WhenAll(remaining.Select(n => CallAsync(n, "/internal/view-change/commit", change, cancellationToken)));
            remaining = results.Where(r => !r.Succeeded).Select(r => r.Node).ToArray();
            if (!remaining.Any())
            {
                LogCommitted(logger, to.Epoch, to.Text);
                return null;
            }
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

    private async Task<PeerCallResult> CallAsync<T>(string node, string path, T message, CancellationToken cancellationToken)
    {
        try
        {
            using HttpResponseMessage response = await peers.PostAsync(node, path, message, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return new PeerCallResult(node, response.StatusCode, null);
            }

            PeerError? error = await PeerClient.TryReadErrorAsync(response, cancellationToken);
            return new PeerCallResult(node, response.StatusCode, error?.Error ?? $"answered {(int)response.StatusCode}");
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new PeerCallResult(node, null, "unreachable");
        }
    }

    public void Dispose() => _running.Dispose();

    private static string[] Participants(ClusterView from, ClusterView to) =>
        from.Nodes.Union(to.Nodes, StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToArray();

    [LoggerMessage(Level = LogLevel.Information, Message = "View change {FromEpoch} -> {ToEpoch}: adding {Added} and removing {Removed} nodes")]
    private static partial void LogStarting(ILogger logger, long fromEpoch, long toEpoch, int added, int removed);

    [LoggerMessage(Level = LogLevel.Information, Message = "View change to epoch {Epoch}: prepared {Nodes} nodes")]
    private static partial void LogPrepared(ILogger logger, long epoch, int nodes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "View change to epoch {Epoch} aborted at prepare: {Node} {Reason}")]
    private static partial void LogAborted(ILogger logger, long epoch, string node, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "View change to epoch {Epoch}: migration from {Node} failed: {Reason}")]
    private static partial void LogMigrationFailed(ILogger logger, long epoch, string node, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "View change committed epoch {Epoch}: {View}")]
    private static partial void LogCommitted(ILogger logger, long epoch, string view);
}
