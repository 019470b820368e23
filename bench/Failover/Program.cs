using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ShardedKvs.Ring;

// Failover benchmark (bench/failover.sh starts the cluster and preloads it).
//   Failover NODES VICTIM_INDEX VICTIM_PID HOT_KEYS CLIENTS BEFORE_S AFTER_S LIMIT_S [RATE]
// NODES: comma-separated host:port of every node of the view (R = 3). Clients send 90% GET / 10% PUT of
// random keys key-0..key-(HOT_KEYS-1) to random survivors (never to the victim, so a request's fate is
// the failover's, not a client's retry policy). After BEFORE_S seconds the victim gets SIGKILL; the
// program polls every survivor's GET /kvs/view until all show it excluded, then until one shows its copy
// begun (the fill's start: the sources wait a moment after a failover), then until none fills, then
// keeps the load AFTER_S more seconds. Everything is bounded by LIMIT_S. Prints one line per figure.
// RATE (requests/s, default 0): 0 is a closed loop, CLIENTS callers each sending its next request when the
// last one answered, so the cluster runs flat out; above 0 the load is open, RATE requests sent each second
// on a fixed schedule whether or not earlier ones answered (CLIENTS is unused), so a request held up by the
// failover holds up no other and a stall cannot lower the load it is measured under.
if (args.Length < 8)
{
    Console.Error.WriteLine("usage: Failover NODES VICTIM_INDEX VICTIM_PID HOT_KEYS CLIENTS BEFORE_S AFTER_S LIMIT_S [RATE]");
    return 2;
}

string[] nodes = args[0].Split(',');
int victim = Int(args[1]);
int victimPid = Int(args[2]);
int hotKeys = Int(args[3]);
int clients = Int(args[4]);
TimeSpan before = TimeSpan.FromSeconds(Int(args[5]));
TimeSpan after = TimeSpan.FromSeconds(Int(args[6]));
using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(Int(args[7])));
int rate = args.Length > 8 ? Int(args[8]) : 0;
string[] survivors = [.. nodes.Where((_, i) => i != victim)];

// An open load may have many requests waiting out the failover at once: enough connections that those
// never hold up the requests of other keys.
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = rate > 0 ? 1024 : clients + 8, UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
var clock = Stopwatch.StartNew();
DateTime startedUtc = DateTime.UtcNow;
var log = new OpLog();
byte[] body = Encoding.UTF8.GetBytes("{\"value\":\"" + new string('w', 100) + "\"}");
var failures = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
using var stopLoad = CancellationTokenSource.CreateLinkedTokenSource(limit.Token);
Task load = rate > 0
    ? Task.Run(() => OpenLoadAsync(stopLoad.Token))
    : Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(() => ClientAsync(c, stopLoad.Token))));

long copiesBefore = await CopiesAsync();
await Task.Delay(before, limit.Token);
TimeSpan killedAt = clock.Elapsed;
try
{
    Process.GetProcessById(victimPid).Kill(); // SIGKILL on Linux: no goodbye, memory gone
}
catch (ArgumentException)
{
    Console.Error.WriteLine($"the victim (pid {victimPid}) is not running: see its log");
    return 1;
}

Console.WriteLine($"KILLED {nodes[victim]} pid={victimPid} at={killedAt.TotalSeconds:F2}s utc={DateTime.UtcNow:HH:mm:ss.fff}");

TimeSpan excludedAt = await PollAsync(views => views.All(v => StateOf(v, nodes[victim]) == "excluded"), "exclusion");
TimeSpan fillStartedAt = await PollAsync(views => views.Any(v => v["fill"]?["keysToCopy"] is not null || (v["fill"] is null && StateOf(v, nodes[victim]) == "excluded")), "start of the fill");
TimeSpan filledAt = await PollAsync(views => views.All(v => v["fill"] is null && StateOf(v, nodes[victim]) == "excluded"), "end of the fill");
long copiesAfter = await CopiesAsync();
await Task.Delay(after, limit.Token);
TimeSpan end = clock.Elapsed;
await stopLoad.CancelAsync();
await load;

var ring = new TokenRing([.. nodes], TokenRing.DefaultTokensPerNode, replicationFactor: 3);
bool IsVictims(int key) => ring.OwnerOf($"key-{key}") == nodes[victim];
Op[] ops = log.All();
Console.WriteLine($"OPS total={ops.Length} failed={ops.Count(o => !o.Ok)} seconds={end.TotalSeconds:F1} load={(rate > 0 ? $"open_{rate}_per_s" : "closed")}");
// The client's own pauses stall every request at once, like a stall of the whole cluster would.
Console.WriteLine($"CLIENT_GC pause_ms={GC.GetTotalPauseDuration().TotalMilliseconds:F0} gen0={GC.CollectionCount(0)} gen1={GC.CollectionCount(1)} gen2={GC.CollectionCount(2)}");
foreach ((string failure, int count) in failures)
{
    Console.WriteLine($"FAILED {count}x {failure}");
}

Console.WriteLine($"EXCLUSION after_kill_ms={(excludedAt - killedAt).TotalMilliseconds:F0} utc={startedUtc + excludedAt:HH:mm:ss.fff}");
(double longest, int affected, double median) = Unavailability(ops, IsVictims);
Console.WriteLine($"UNAVAILABLE victim_keys={Enumerable.Range(0, hotKeys).Count(IsVictims)} keys_over_100ms={affected} longest_ms={longest:F0} median_of_those_ms={median:F0}");
// A write waits for every in-sync replica: a key whose backup (not primary) was killed can write again
// only once the dead backup is excluded. Reads of such keys never wait.
Op[] gets = [.. ops.Where(o => !o.Put)];
Op[] puts = [.. ops.Where(o => o.Put)];
Console.WriteLine($"UNAVAILABLE_OTHER_KEYS longest_ms={Unavailability(ops, k => !IsVictims(k)).Longest:F0} get_longest_ms={Unavailability(gets, k => !IsVictims(k)).Longest:F0} put_longest_ms={Unavailability(puts, k => !IsVictims(k)).Longest:F0}");
double fillSeconds = (filledAt - fillStartedAt).TotalSeconds;
long copied = copiesAfter - copiesBefore;
Console.WriteLine($"FILL copies_added={copied} started_after_exclusion_ms={(fillStartedAt - excludedAt).TotalMilliseconds:F0} seconds={fillSeconds:F2} (poll resolution 25 ms) keys_per_s={copied / fillSeconds:F0}");
// The last 3 s before the kill: the first seconds of the load still run code the JIT has not yet
// optimized (every node's read paths, and all of a node restarted by WARMUP=1).
double p99Before = P99(ops, TimeSpan.FromSeconds(Math.Max(1, (killedAt - TimeSpan.FromSeconds(3)).TotalSeconds)), killedAt, _ => true);
// From the exclusion to the fill's start: the requests held while the victim was being detected are
// answered, and its keys' new primaries take over. That is the failover's cost, not the fill's.
double p99Failover = fillStartedAt > excludedAt ? P99(ops, excludedAt, fillStartedAt, _ => true) : 0;
double p99During = P99(ops, fillStartedAt, filledAt, _ => true);
double p99DuringOthers = P99(ops, fillStartedAt, filledAt, k => !IsVictims(k));
double p99After = P99(ops, filledAt, end, _ => true);
Console.WriteLine($"P99 before_ms={p99Before:F2} during_fill_ms={p99During:F2} during_fill_other_keys_ms={p99DuringOthers:F2} after_fill_ms={p99After:F2} ratio={p99During / p99Before:F2} ratio_other_keys={p99DuringOthers / p99Before:F2} exclusion_to_fill_ms={p99Failover:F2}");
// Where in the fill the slow requests fall: p99 and count of 200 ms slices, from a second before the
// exclusion to a second after the fill (offsets from the exclusion).
TimeSpan slice = TimeSpan.FromMilliseconds(200);
var slices = new List<string>();
for (TimeSpan from = excludedAt - TimeSpan.FromSeconds(1); from < filledAt + TimeSpan.FromSeconds(1); from += slice)
{
    int count = ops.Count(o => o.Start >= from && o.Start < from + slice);
    slices.Add($"{(from - excludedAt).TotalSeconds:+0.0;-0.0}s:{P99(ops, from, from + slice, _ => true):F1}ms/{count}");
}

Console.WriteLine($"P99_SLICES {string.Join(' ', slices)}");
// SLOW_MS=n: the requests around the fill that took longer (at most 40), to tell what they waited for.
if (int.TryParse(Environment.GetEnvironmentVariable("SLOW_MS"), out int slowMs))
{
    foreach (Op o in ops.Where(o => o.Start >= excludedAt - TimeSpan.FromSeconds(1) && o.Start < filledAt + TimeSpan.FromSeconds(1) && (o.End - o.Start).TotalMilliseconds > slowMs).OrderBy(o => o.Start).Take(40))
    {
        Console.WriteLine($"SLOW {(o.Start - excludedAt).TotalSeconds:+0.000;-0.000}s utc={startedUtc + o.Start:HH:mm:ss.fff} {(o.End - o.Start).TotalMilliseconds:F0}ms {(o.Put ? "PUT" : "GET")} key-{o.Key} via {o.Node} owner {ring.OwnerOf($"key-{o.Key}")} ok={o.Ok}");
    }
}
return 0;

async Task ClientAsync(int client, CancellationToken stop)
{
    var random = new Random(client);
    while (!stop.IsCancellationRequested && await SendAsync(random, stop))
    {
    }
}

// One scheduler: request i leaves at i / RATE s, each in its own task. When the scheduler wakes late (a
// timer tick is a millisecond or more), the requests due meanwhile leave at once; a latency counts from
// when its request left.
async Task OpenLoadAsync(CancellationToken stop)
{
    var random = new Random(0);
    var inFlight = new List<Task>();
    TimeSpan started = clock.Elapsed;
    for (long sent = 0; !stop.IsCancellationRequested; sent++)
    {
        TimeSpan due = started + TimeSpan.FromSeconds(sent / (double)rate);
        if (clock.Elapsed < due)
        {
            try
            {
                await Task.Delay(due - clock.Elapsed, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        inFlight.Add(SendAsync(random, stop));
        if (inFlight.Count >= 4096)
        {
            inFlight.RemoveAll(t => t.IsCompleted);
        }
    }

    await Task.WhenAll(inFlight);
}

// False when the load stopped before the request was answered.
async Task<bool> SendAsync(Random random, CancellationToken stop)
{
    int key = random.Next(hotKeys);
    string node = survivors[random.Next(survivors.Length)];
    var uri = new Uri($"http://{node}/kvs/keys/key-{key}");
    bool put = random.Next(10) == 0;
    TimeSpan start = clock.Elapsed;
    bool ok;
    try
    {
        using HttpResponseMessage response = put
            ? await http.PutAsync(uri, new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } }, stop)
            : await http.GetAsync(uri, stop);
        ok = response.IsSuccessStatusCode;
        if (!ok)
        {
            string error = JsonNode.Parse(await response.Content.ReadAsStringAsync(stop))?["error"]?.GetValue<string>() ?? "";
            failures.AddOrUpdate($"{(put ? "PUT" : "GET")} {(int)response.StatusCode} {error}", 1, (_, n) => n + 1);
        }
    }
    catch (OperationCanceledException) when (stop.IsCancellationRequested)
    {
        return false;
    }
    catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
    {
        ok = false;
        failures.AddOrUpdate($"{(put ? "PUT" : "GET")} {e.GetType().Name}", 1, (_, n) => n + 1);
    }

    log.Add(new Op(key, put, start, clock.Elapsed, ok, node));
    return true;
}

async Task<TimeSpan> PollAsync(Func<JsonNode[], bool> done, string what)
{
    while (true)
    {
        limit.Token.ThrowIfCancellationRequested();
        try
        {
            JsonNode[] views = await Task.WhenAll(survivors.Select(async s => JsonNode.Parse(await http.GetStringAsync(new Uri($"http://{s}/kvs/view"), limit.Token))!));
            if (done(views))
            {
                return clock.Elapsed;
            }
        }
        catch (HttpRequestException e)
        {
            Console.Error.WriteLine($"polling for the {what}: {e.Message}");
        }

        await Task.Delay(25, limit.Token);
    }
}

async Task<long> CopiesAsync()
{
    long total = 0;
    foreach (string s in survivors)
    {
        JsonNode counts = JsonNode.Parse(await http.GetStringAsync(new Uri($"http://{s}/kvs/key-count"), limit.Token))!;
        total += counts["key-count"]!.GetValue<long>() + (counts["replica-key-count"]?.GetValue<long>() ?? 0);
    }

    return total;
}

static string? StateOf(JsonNode view, string address) =>
    view["members"]?.AsArray().FirstOrDefault(m => string.Equals(m?["address"]?.GetValue<string>(), address, StringComparison.OrdinalIgnoreCase))?["state"]?.GetValue<string>();

// A key's unavailability: for a failed request, from its start until the next successful request of the
// key ends; for a successful one, its own latency (a request for a dead primary's key waits for the
// failover instead of failing). Returns the longest, how many keys exceeded 100 ms, and their median.
static (double Longest, int Affected, double Median) Unavailability(Op[] ops, Func<int, bool> which)
{
    var worst = new List<double>();
    foreach (IGrouping<int, Op> key in ops.Where(o => which(o.Key)).GroupBy(o => o.Key))
    {
        Op[] byStart = [.. key.OrderBy(o => o.Start)];
        double longest = 0;
        for (int i = 0; i < byStart.Length; i++)
        {
            TimeSpan until = byStart[i].Ok ? byStart[i].End : byStart.Skip(i + 1).Where(o => o.Ok).Select(o => (TimeSpan?)o.End).FirstOrDefault() ?? byStart[^1].End;
            longest = Math.Max(longest, (until - byStart[i].Start).TotalMilliseconds);
        }

        worst.Add(longest);
    }

    double[] over = [.. worst.Where(w => w > 100).Order()];
    return (worst.DefaultIfEmpty(0).Max(), over.Length, over.Length == 0 ? 0 : over[over.Length / 2]);
}

static double P99(Op[] ops, TimeSpan from, TimeSpan to, Func<int, bool> which)
{
    double[] latencies = [.. ops.Where(o => o.Start >= from && o.Start < to && which(o.Key)).Select(o => (o.End - o.Start).TotalMilliseconds).Order()];
    return latencies.Length == 0 ? double.NaN : latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(latencies.Length * 0.99) - 1)];
}

static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);

// A struct: the load makes some 10,000 a second, kept to the end; as objects, collecting them paused the
// client (so every request at once) 110 ms in one run against 27 ms (CLIENT_GC).
internal readonly record struct Op(int Key, bool Put, TimeSpan Start, TimeSpan End, bool Ok, string Node);

/// <summary>Every request's record, appended from any thread; read once the load stopped.</summary>
internal sealed class OpLog
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<Op> _ops = new();

    public void Add(Op op) => _ops.Enqueue(op);

    public Op[] All() => [.. _ops];
}
