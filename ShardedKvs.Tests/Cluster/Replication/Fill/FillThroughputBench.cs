using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using ShardedKvs.Node.Cluster.Replication.Fill;
using ShardedKvs.Node.Storage;
using ShardedKvs.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ShardedKvs.Tests.Cluster.Replication.Fill;

/// <summary>
/// How fast a fill copies between two nodes in this process, unthrottled: 200,000 keys with 100-byte
/// values, and what each copy costs in CPU and allocation (the two nodes and the test together). A measurement, skipped unless KVS_BENCH=1:
/// <c>KVS_BENCH=1 dotnet test ShardedKvs.Tests -c Release --filter "FullyQualifiedName~FillThroughputBench" --logger "console;verbosity=detailed"</c>
/// </summary>
public sealed class FillThroughputBench(TwoUnthrottledNodes nodes, ITestOutputHelper output) : IClassFixture<TwoUnthrottledNodes>
{
    private const int Keys = 200_000;

    [BenchFact]
    [Trait("Category", "Bench")]
    public async Task Copy_200k_keys_between_two_nodes()
    {
        KeyValueStore source = nodes.Cluster[0].Store;
        byte[] value = new byte[100];
        Array.Fill(value, (byte)'v');
        for (int i = 0; i < Keys; i++)
        {
            source.PutIfNewer($"bench-{i}", value, i + 1);
        }

        FillSource fill = nodes.Cluster[0].Services.GetRequiredService<FillSource>();
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        int gen0Before = GC.CollectionCount(0);
        TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        FillResult result = await fill.CopyAsync(nodes.Map, nodes.SourceMember, CancellationToken.None);
        clock.Stop();
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        int gen0 = GC.CollectionCount(0) - gen0Before;

        Assert.True(result.Succeeded, result.Failure);
        Assert.Equal(Keys, nodes.Cluster[1].Store.Count);
        output.WriteLine($"copied {result.KeysCopied} keys in {result.Batches} batches in {clock.Elapsed.TotalSeconds:0.00} s: {result.KeysCopied / clock.Elapsed.TotalSeconds:0} keys/s");
        output.WriteLine($"both nodes: {cpu.TotalMicroseconds / result.KeysCopied:0.0} µs of CPU and {(double)allocated / result.KeysCopied:0} bytes allocated per key copied, {gen0} gen0 collections");
    }
}
