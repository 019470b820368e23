using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using ShardedKvs.Client;

// Client benchmark: the ring-aware ShardedKvsClient against the plain path (one HttpClient sending every
// request to the first node, which forwards about (N-1)/N of them), same cluster, same keys, in one run.
//   Client NODES SECONDS CONCURRENCY KEYS ROUNDS
//   NODES: "h1:p1,h2:p2,..."; each case runs SECONDS with CONCURRENCY callers; cases alternate, ROUNDS times.
// Workloads: get (GET of random preloaded keys) and mix (90% GET, 10% PUT). Prints one markdown table:
// requests, req/s, p50 / p99 latency (ms), errors, and for the plain path the share of answers that were
// forwarded (carried "address"). Exits 1 when any request failed.
if (args.Length < 5)
{
    Console.Error.WriteLine("usage: Client NODES SECONDS CONCURRENCY KEYS ROUNDS");
    return 2;
}

string[] nodes = args[0].Split(',');
int seconds = Parse(args[1]), concurrency = Parse(args[2]), keyCount = Parse(args[3]), rounds = Parse(args[4]);
string value = new('v', 100);
string[] keys = [.. Enumerable.Range(0, keyCount).Select(i => $"bench-{i}")];

var options = new ShardedKvsClientOptions();
foreach (string node in nodes)
{
    options.Endpoints.Add(node);
}

using var client = new ShardedKvsClient(options);
using var plain = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = concurrency, AutomaticDecompression = DecompressionMethods.None })
{
    BaseAddress = new Uri($"http://{nodes[0]}/"),
    Timeout = TimeSpan.FromSeconds(10),
};

// Preload through the client (and warm both paths up).
await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (key, ct) => await client.PutAsync(key, value, ct));

var results = new List<CaseResult>();
for (int round = 0; round < rounds; round++)
{
    foreach (string workload in new[] { "get", "mix" })
    {
        // Alternate the order per round so neither path always runs on a warmer machine.
        bool clientFirst = round % 2 == 1;
        foreach (bool useClient in clientFirst ? new[] { true, false } : new[] { false, true })
        {
            results.Add(await RunCaseAsync(useClient ? "client" : "plain-node1", workload, useClient));
        }
    }
}

Console.WriteLine($"| case | workload | requests | req/s | p50 ms | p99 ms | errors | forwarded |");
Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|");
foreach (var group in results.GroupBy(r => (r.Name, r.Workload)))
{
    long requests = group.Sum(r => r.Requests), errors = group.Sum(r => r.Errors), forwarded = group.Sum(r => r.Forwarded);
    double rps = group.Average(r => r.RequestsPerSecond);
    double[] latencies = [.. group.SelectMany(r => r.LatenciesMs).Order()];
    string forwardedShare = group.Key.Name == "client" ? "n/a (routes to owner)" : $"{100.0 * forwarded / Math.Max(1, requests):0.0}%";
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {group.Key.Name} | {group.Key.Workload} | {requests} | {rps:0} | {Percentile(latencies, 0.50):0.000} | {Percentile(latencies, 0.99):0.000} | {errors} | {forwardedShare} |"));
}

foreach (string workload in new[] { "get", "mix" })
{
    double clientRps = results.Where(r => r.Name == "client" && r.Workload == workload).Average(r => r.RequestsPerSecond);
    double plainRps = results.Where(r => r.Name != "client" && r.Workload == workload).Average(r => r.RequestsPerSecond);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"\n{workload}: client / plain throughput = {clientRps / plainRps:0.00}x"));
}

return results.Sum(r => r.Errors) == 0 ? 0 : 1;

async Task<CaseResult> RunCaseAsync(string name, string workload, bool useClient)
{
    using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
    var perWorker = new List<double>[concurrency];
    long errors = 0, forwarded = 0;
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
    {
        var random = new Random(w * 7919 + 17); // seeded: the same key sequence for both paths
        var latencies = perWorker[w] = new List<double>(16_384);
        while (!stop.IsCancellationRequested)
        {
            string key = keys[random.Next(keys.Length)];
            bool put = workload == "mix" && random.Next(10) == 0;
            long started = Stopwatch.GetTimestamp();
            try
            {
                if (useClient)
                {
                    if (put)
                    {
                        await client.PutAsync(key, value);
                    }
                    else
                    {
                        await client.GetAsync(key);
                    }
                }
                else
                {
                    using HttpResponseMessage response = put
                        ? await plain.PutAsync($"kvs/keys/{key}", new StringContent($"{{\"value\":\"{value}\"}}", Encoding.UTF8, "application/json"))
                        : await plain.GetAsync($"kvs/keys/{key}");
                    string body = await response.Content.ReadAsStringAsync();
                    if (!response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref errors);
                        continue;
                    }

                    if (body.Contains("\"address\"", StringComparison.Ordinal))
                    {
                        Interlocked.Increment(ref forwarded);
                    }
                }

                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            catch (Exception e) when (e is ShardedKvsException or HttpRequestException or TaskCanceledException)
            {
                Interlocked.Increment(ref errors);
            }
        }
    })));
    double elapsed = clock.Elapsed.TotalSeconds;
    var all = perWorker.SelectMany(l => l).ToList();
    return new CaseResult(name, workload, all.Count, all.Count / elapsed, errors, forwarded, all);
}

static int Parse(string text) => int.Parse(text, CultureInfo.InvariantCulture);

static double Percentile(double[] sorted, double p) =>
    sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

internal sealed record CaseResult(string Name, string Workload, long Requests, double RequestsPerSecond, long Errors, long Forwarded, List<double> LatenciesMs);
