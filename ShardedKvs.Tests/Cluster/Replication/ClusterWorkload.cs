using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using ShardedKvs.Linearizability;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Cluster.Replication;

/// <summary>
/// Clients that read, write and delete a fixed set of keys through whichever nodes are up, recording
/// every call and return for the linearizability checker, and how long each key stayed unavailable
/// (from its first failed request to its next success). A request to a node that is down is re-sent to
/// another node; any other failure is recorded as an outcome unknown, the weakest claim.
/// </summary>
/// <param name="seed">Seeds each client's choices of keys, operations and nodes (0: client i uses seed i).</param>
public sealed class ClusterWorkload(HttpClient[] nodes, Func<int, bool> isUp, int keys, int clients = 12, int seed = 0)
{
    private readonly ConcurrentDictionary<string, KeyAvailability> _availability = new();
    private readonly ConcurrentQueue<(string Key, int Node, string Description)> _failures = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _trails = new();
    private long _operations;

    public HistoryRecorder History { get; } = new();

    public int Keys => keys;

    public long Operations => Interlocked.Read(ref _operations);

    /// <summary>Every request that failed (neither a success nor a node that was down), with its key.</summary>
    public IReadOnlyCollection<(string Key, int Node, string Description)> Failures => _failures;

    /// <summary>Keys that had at least one failed request, with the longest time they were unavailable.</summary>
    public IReadOnlyDictionary<string, TimeSpan> Unavailable =>
        _availability.Where(a => a.Value.Longest > TimeSpan.Zero || a.Value.OutageStart is not null)
            .ToDictionary(a => a.Key, a => a.Value.Longest);

    public static string KeyName(int i) => $"key{i}";

    /// <summary>Every request sent for <paramref name="key"/>, in the order sent: the wall-clock time (UTC,
    /// as in node logs), who sent it, the node it went to and what came back. What a failed
    /// linearizability check prints, so that a violation can be followed in the nodes' logs.</summary>
    public IEnumerable<string> TrailOf(string key) => _trails.TryGetValue(key, out ConcurrentQueue<string>? trail) ? trail : [];

    /// <summary>Writes every key once. A write that fails (a node was excluded under it on a starved
    /// machine, say) is recorded with an unknown outcome and sent again, until the deadline.</summary>
    public async Task PreloadAsync()
    {
        await Parallel.ForAsync(0, keys, async (i, _) =>
        {
            string key = KeyName(i);
            var random = new Random(i);
            await Eventually.Until($"the preload of {key}", TimeSpan.FromSeconds(60), async _ =>
            {
                PendingOperation call = History.Call(clients + 1, key, OpKind.Put, $"initial-{i}");
                KvsResponse response = (await SendAnywhereAsync(random, "preload", OpKind.Put, key, $"initial-{i}")).Response;
                if (ToOutput(OpKind.Put, response) is { } written)
                {
                    History.Return(call, written);
                }
                else
                {
                    History.ReturnUnknown(call);
                }

                return response;
            }, r => ToOutput(OpKind.Put, r) is not null);
        });
    }

    public Task RunAsync(CancellationToken stop) => Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
    {
        var random = new Random(unchecked((seed * 31) + client));
        for (int sequence = 0; !stop.IsCancellationRequested; sequence++)
        {
            string key = KeyName(random.Next(keys));
            int roll = random.Next(100);
            (OpKind kind, string? value) = roll < 50 ? (OpKind.Get, null) : roll < 85 ? (OpKind.Put, $"c{client}-{sequence}") : (OpKind.Delete, (string?)null);
            PendingOperation call = History.Call(client, key, kind, value);
            (KvsResponse response, int node) = await SendAnywhereAsync(random, $"c{client}", kind, key, value);
            Interlocked.Increment(ref _operations);
            if (ReferenceEquals(response, NodeWentDown))
            {
                History.ReturnUnknown(call);
                continue;
            }

            KeyAvailability availability = _availability.GetOrAdd(key, _ => new KeyAvailability());
            if (ToOutput(kind, response) is { } result)
            {
                History.Return(call, result);
                availability.Succeeded();
            }
            else
            {
                History.ReturnUnknown(call);
                availability.Failed();
                _failures.Enqueue((key, node, $"{kind} {key} via node {node}: {response}"));
            }
        }
    })));

    /// <summary>Reads every key once, through a node that is up, as the last word of the history.</summary>
    public async Task ReadEverythingAsync(TimeSpan deadline)
    {
        var random = new Random(-1);
        for (int i = 0; i < keys; i++)
        {
            string key = KeyName(i);
            KvsResponse read = await Eventually.Until($"a final read of {key}", deadline, async _ =>
            {
                PendingOperation call = History.Call(clients, key, OpKind.Get);
                KvsResponse response = (await SendAnywhereAsync(random, "final read", OpKind.Get, key, null)).Response;
                if (ToOutput(OpKind.Get, response) is { } output)
                {
                    History.Return(call, output);
                }
                else
                {
                    History.ReturnUnknown(call);
                }

                return response;
            }, r => r.Status is HttpStatusCode.OK or HttpStatusCode.NotFound);
        }
    }

    /// <summary>Keys whose final read found them, as the history says.</summary>
    public int PresentAtTheEnd(IReadOnlyList<Operation> history) =>
        history.Where(o => o.ClientId == clients && o.ReturnTime != Operation.Infinity)
            .GroupBy(o => o.Key)
            .Count(g => g.OrderBy(o => o.ReturnTime).Last().Output.Kind == OutputKind.Present);

    private static readonly KvsResponse NodeWentDown = new(HttpStatusCode.BadGateway, [], "the node went down under the request");

    private async Task<(KvsResponse Response, int Node)> SendAnywhereAsync(Random random, string caller, OpKind kind, string key, string? value)
    {
        ConcurrentQueue<string> trail = _trails.GetOrAdd(key, _ => new ConcurrentQueue<string>());
        for (int attempt = 0; ; attempt++)
        {
            int node = random.Next(nodes.Length);
            if (!isUp(node))
            {
                continue;
            }

            DateTime sent = DateTime.UtcNow;
            long started = Stopwatch.GetTimestamp();
            string request = $"{caller} {kind}{(value is null ? "" : $"({value})")} via node {node}";
            try
            {
                KvsResponse response = kind switch
                {
                    OpKind.Get => await nodes[node].GetKeyAsync(key),
                    OpKind.Put => await nodes[node].PutAsync(key, value!),
                    _ => await nodes[node].DeleteKeyAsync(key),
                };
                trail.Enqueue($"{sent:HH:mm:ss.fff} {request}: {response} ({Stopwatch.GetElapsedTime(started).TotalMilliseconds:F0} ms)");
                if (IsOutsideTheCluster(response) && attempt < 100)
                {
                    continue; // an idle, forming or rejoining node refused before doing anything: a client re-routes
                }

                return (response, node);
            }
            catch (HttpRequestException e) when (attempt < 100)
            {
                trail.Enqueue($"{sent:HH:mm:ss.fff} {request}: {e.Message} ({Stopwatch.GetElapsedTime(started).TotalMilliseconds:F0} ms)");
                // The node went down under the request. It may have forwarded the request before it
                // died, so what it did is unknown: record it so, and send the next request elsewhere.
                if (kind != OpKind.Get)
                {
                    return (NodeWentDown, node);
                }
            }
        }
    }

    private static bool IsOutsideTheCluster(KvsResponse response) =>
        response.Status == HttpStatusCode.ServiceUnavailable && response.Bool("executed") == false
        && response.Field("error") is "Node is not in the view" or "Cluster is forming: not every node of the view has joined yet" or "Node is rejoining the cluster as a new member and does not serve keys yet" or "Node was excluded from the cluster while cut off and is starting over";

    public static OpOutput? ToOutput(OpKind kind, KvsResponse response) => (kind, response.Status) switch
    {
        (OpKind.Get, HttpStatusCode.OK) => OpOutput.Present(response.Field("value")!),
        (OpKind.Get, HttpStatusCode.NotFound) => OpOutput.Absent,
        (OpKind.Put, HttpStatusCode.Created) => OpOutput.Written(created: true),
        (OpKind.Put, HttpStatusCode.OK) => OpOutput.Written(created: false),
        (OpKind.Delete, HttpStatusCode.OK) => OpOutput.Deleted(existed: true),
        (OpKind.Delete, HttpStatusCode.NotFound) => OpOutput.Deleted(existed: false),
        _ => null,
    };

    private sealed class KeyAvailability
    {
        private readonly Lock _gate = new();

        public long? OutageStart { get; private set; }

        public TimeSpan Longest { get; private set; }

        public void Failed()
        {
            lock (_gate)
            {
                OutageStart ??= Stopwatch.GetTimestamp();
            }
        }

        public void Succeeded()
        {
            lock (_gate)
            {
                if (OutageStart is { } start)
                {
                    TimeSpan outage = Stopwatch.GetElapsedTime(start);
                    Longest = outage > Longest ? outage : Longest;
                    OutageStart = null;
                }
            }
        }
    }
}
