using System.Diagnostics;
using System.Net;
using System.Text;

// Benchmark helper.
//   load   URL COUNT [START=0] [CONCURRENCY=64] [TIMEOUT_S=300] [VALUE_BYTES=100]
//          PUT key-START .. key-(START+COUNT-1), each with a VALUE_BYTES value.
//   owners URL COUNT DIRECT_FILE FORWARDED_FILE [CONCURRENCY=16]
//          GET key-0 .. key-(COUNT-1) from URL; keys answered without "address" (owned by that node)
//          go to DIRECT_FILE, keys answered with "address" (owned elsewhere) to FORWARDED_FILE.
// Prints one summary line; exits 1 when any request failed or the time bound was hit.
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: Loader load URL COUNT [START] [CONCURRENCY] [TIMEOUT_S] [VALUE_BYTES]");
    Console.Error.WriteLine("       Loader owners URL COUNT DIRECT_FILE FORWARDED_FILE [CONCURRENCY]");
    return 2;
}

var mode = args[0];
var baseUrl = new Uri(args[1].TrimEnd('/') + "/");
var count = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
int Arg(int i, int fallback) =>
    args.Length > i ? int.Parse(args[i], System.Globalization.CultureInfo.InvariantCulture) : fallback;

return mode switch
{
    "load" => await LoadAsync(baseUrl, count, Arg(3, 0), Arg(4, 64), Arg(5, 300), Arg(6, 100)),
    "owners" => await OwnersAsync(baseUrl, count, args[3], args[4], Arg(5, 16)),
    _ => 2,
};

static HttpClient NewClient(int concurrency) => new(new SocketsHttpHandler
{
    MaxConnectionsPerServer = concurrency,
    UseProxy = false,
    AutomaticDecompression = DecompressionMethods.None,
})
{
    Timeout = TimeSpan.FromSeconds(30),
};

static async Task<int> LoadAsync(Uri baseUrl, int count, int start, int concurrency, int timeoutSeconds, int valueBytes)
{
    using var client = NewClient(concurrency);
    var body = Encoding.UTF8.GetBytes("{\"value\":\"" + new string('v', valueBytes) + "\"}");
    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
    var next = -1;
    long ok = 0, failed = 0;
    var statuses = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
    var sw = Stopwatch.StartNew();

    async Task Worker()
    {
        while (!cts.IsCancellationRequested)
        {
            var i = Interlocked.Increment(ref next);
            if (i >= count)
            {
                return;
            }

            try
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new("application/json");
                using var response = await client.PutAsync(new Uri(baseUrl, "kvs/keys/key-" + (start + i)), content, cts.Token);
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref ok);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                    statuses.AddOrUpdate(((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture), 1, (_, n) => n + 1);
                }
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                return;
            }
            catch (HttpRequestException e)
            {
                Interlocked.Increment(ref failed);
                statuses.AddOrUpdate(e.HttpRequestError.ToString(), 1, (_, n) => n + 1);
            }
        }
    }

    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(Worker)));
    var seconds = sw.Elapsed.TotalSeconds;
    var timedOut = ok + failed < count;
    Console.WriteLine(
        $"LOAD url={baseUrl} ok={ok} failed={failed} of={count} seconds={seconds:F1} rate={ok / seconds:F0}/s" +
        (timedOut ? $" TIMED_OUT_AFTER={timeoutSeconds}s" : "") +
        (statuses.IsEmpty ? "" : " errors=" + string.Join(",", statuses.Select(kv => $"{kv.Key}:{kv.Value}"))));
    return failed == 0 && !timedOut ? 0 : 1;
}

static async Task<int> OwnersAsync(Uri baseUrl, int count, string directFile, string forwardedFile, int concurrency)
{
    using var client = NewClient(concurrency);
    var owned = new bool[count];
    var answered = new bool[count];
    var next = -1;
    long failed = 0;

    async Task Worker()
    {
        while (true)
        {
            var i = Interlocked.Increment(ref next);
            if (i >= count)
            {
                return;
            }

            try
            {
                using var response = await client.GetAsync(new Uri(baseUrl, "kvs/keys/key-" + i));
                var text = await response.Content.ReadAsStringAsync();
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref failed);
                    continue;
                }

                using var json = System.Text.Json.JsonDocument.Parse(text);
                owned[i] = !json.RootElement.TryGetProperty("address", out _);
                answered[i] = true;
            }
            catch (HttpRequestException)
            {
                Interlocked.Increment(ref failed);
            }
        }
    }

    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(Worker)));
    var direct = Enumerable.Range(0, count).Where(i => answered[i] && owned[i]).Select(i => "key-" + i).ToList();
    var forwarded = Enumerable.Range(0, count).Where(i => answered[i] && !owned[i]).Select(i => "key-" + i).ToList();
    await File.WriteAllLinesAsync(directFile, direct);
    await File.WriteAllLinesAsync(forwardedFile, forwarded);
    Console.WriteLine($"OWNERS url={baseUrl} direct={direct.Count} forwarded={forwarded.Count} failed={failed}");
    return failed == 0 ? 0 : 1;
}
