using System.Collections.Immutable;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using ShardedKvs.Client.Telemetry;
using ShardedKvs.Client.Transport;

namespace ShardedKvs.Client.Routing;

/// <summary>
/// Keeps the client's routing table: fetches GET /kvs/view from every node the current table names
/// (view, placement and members) and the seeds, adopts the newest committed view (highest epoch among
/// nodes that serve: an excluded or rejoining node's answer is ignored), and never goes back to an older one.
/// One refresh runs at a time; callers that ask meanwhile share it.
/// </summary>
internal sealed partial class ViewSource(
    HttpClient http, ShardedKvsClientOptions options, TimeProvider time, ILogger logger)
{
    // Fetches are not repeated faster than this, so a burst of stale answers (or a node that keeps
    // answering 503) costs one round of view requests per interval.
    private static readonly TimeSpan MinRefreshInterval = TimeSpan.FromMilliseconds(50);

    // How long a refresh waits for the other nodes once one serving node answered.
    private static readonly TimeSpan StragglerWait = TimeSpan.FromMilliseconds(100);

    private readonly ImmutableArray<string> _seeds = [.. options.Endpoints];

    // Guards _refreshing and _lastRefresh. _current is swapped whole (volatile) and read without the lock.
    private readonly Lock _gate = new();
    private volatile RoutingTable? _current;
    private Task<RoutingTable?>? _refreshing;
    private long _lastRefresh;

    public RoutingTable? Current => _current;

    /// <summary>The current table, fetching the first one when there is none yet; null when no node serves.</summary>
    public async ValueTask<RoutingTable?> GetAsync(CancellationToken cancellationToken) =>
        _current ?? await RefreshAsync(seen: null, cancellationToken);

    /// <summary>
    /// Fetches the view again unless someone already replaced <paramref name="seen"/>; returns the
    /// table to use next (possibly the same one). Within <see cref="MinRefreshInterval"/> of the last
    /// fetch the next one waits out the rest of the interval rather than being dropped.
    /// </summary>
    public Task<RoutingTable?> RefreshAsync(RoutingTable? seen, CancellationToken cancellationToken)
    {
        Task<RoutingTable?> refreshing;
        lock (_gate)
        {
            RoutingTable? current = _current;
            if (current is not null && !ReferenceEquals(current, seen))
            {
                return Task.FromResult<RoutingTable?>(current);
            }

            if (_refreshing is null || _refreshing.IsCompleted)
            {
                TimeSpan wait = _lastRefresh == 0 ? TimeSpan.Zero : MinRefreshInterval - time.GetElapsedTime(_lastRefresh);
                _refreshing = Task.Run(() => FetchAsync(wait), CancellationToken.None);
            }

            refreshing = _refreshing;
        }

        return refreshing.WaitAsync(cancellationToken);
    }

    /// <summary>Starts a refresh in the background (an answer hinted that the view is stale).</summary>
    public void RefreshInBackground(RoutingTable seen) =>
        _ = RefreshAsync(seen, CancellationToken.None).ContinueWith(
            static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

    /// <summary>
    /// Starts a refresh in the background unless the last one ended within <paramref name="notWithin"/>.
    /// For a dead node the view still names: its exclusion is coming, and meanwhile routing around it
    /// works, so the client looks a few times a second rather than on every call.
    /// </summary>
    public void RefreshInBackgroundUnlessRecent(RoutingTable seen, TimeSpan notWithin)
    {
        lock (_gate)
        {
            if (_lastRefresh != 0 && time.GetElapsedTime(_lastRefresh) < notWithin)
            {
                return;
            }
        }

        RefreshInBackground(seen);
    }

    private async Task<RoutingTable?> FetchAsync(TimeSpan wait)
    {
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, time);
        }

        ClientTelemetry.ViewRefreshes.Add(1);
        RoutingTable? current = _current;
        IEnumerable<string> candidates = current is null ? _seeds : current.KnownNodes.Concat(_seeds);
        Task<ViewAnswer?>[] asks = [.. candidates.Distinct(StringComparer.OrdinalIgnoreCase).Select(AskAsync)];
        await UntilAnsweredAsync(asks);

        ViewAnswer? newest = asks.Where(a => a.IsCompletedSuccessfully && a.Result is { IsServing: true }).Select(a => a.Result).MaxBy(a => a!.Epoch);
        RoutingTable? adopted = current;
        if (newest is not null
            && (current is null || current.IsOlderThan(newest.Epoch))
            && RoutingTable.FromAnswer(newest, options.DefaultTokensPerNode) is { } table)
        {
            adopted = table;
            LogAdopted(logger, adopted.Epoch, adopted.ViewText, adopted.ReplicationFactor);
        }
        else if (newest is null)
        {
            LogNoServingNode(logger, string.Join(',', candidates.Distinct(StringComparer.OrdinalIgnoreCase)));
        }

        lock (_gate)
        {
            _current = adopted;
            _lastRefresh = time.GetTimestamp();
        }

        return adopted;
    }

    /// <summary>
    /// Waits for every node's answer, but no longer than <see cref="StragglerWait"/> after the first
    /// serving one: a node that accepts connections and never answers (a process being killed, a host
    /// cut off) must not hold up a view the others already show. A newer view missed this way is
    /// adopted at a later refresh, as views only move forward.
    /// </summary>
    private async Task UntilAnsweredAsync(Task<ViewAnswer?>[] asks)
    {
        Task all = Task.WhenAll(asks);
        var pending = new List<Task<ViewAnswer?>>(asks);
        while (pending.Count > 0)
        {
            Task<ViewAnswer?> answered = await Task.WhenAny(pending);
            pending.Remove(answered);
            if (answered.Result is { IsServing: true })
            {
                await Task.WhenAny(all, Task.Delay(StragglerWait, time));
                return;
            }
        }
    }

    private async Task<ViewAnswer?> AskAsync(string node)
    {
        using var timeout = new CancellationTokenSource(options.ViewTimeout, time);
        try
        {
            using HttpResponseMessage response = await http.GetAsync(new Uri($"http://{node}/kvs/view"), timeout.Token);
            return response.IsSuccessStatusCode
                ? await response.Content.ReadFromJsonAsync(ClientJson.Default.ViewAnswer, timeout.Token)
                : null;
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or OperationCanceledException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "ShardedKvs client now routes by epoch {Epoch}: {View} (R = {ReplicationFactor})")]
    private static partial void LogAdopted(ILogger logger, long epoch, string view, int replicationFactor);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ShardedKvs client: no serving node answered GET /kvs/view (asked {Nodes})")]
    private static partial void LogNoServingNode(ILogger logger, string nodes);
}
