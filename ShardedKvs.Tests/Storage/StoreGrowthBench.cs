using ShardedKvs.Node.Storage;
using ShardedKvs.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ShardedKvs.Tests.Storage;

/// <summary>
/// What a store growing by 47,000 keys leaves for the next gen0 collection to copy: entries live on the
/// pinned object heap and are never copied, but the store's segment tables, arrays of references, are
/// born in gen0, and when the growth crosses the tables' resize point (256 segments at 3/4 of their
/// capacity) most of them are replaced at once. The two cases are a failover's fill in
/// <c>bench/failover.sh</c> (180,000 copies per survivor growing to 227,000) and one that crosses no
/// resize. A measurement, skipped unless KVS_BENCH=1:
/// <c>KVS_BENCH=1 dotnet test ShardedKvs.Tests -c Release --filter "FullyQualifiedName~StoreGrowthBench" --logger "console;verbosity=detailed"</c>
/// </summary>
public sealed class StoreGrowthBench(ITestOutputHelper output)
{
    [BenchFact]
    [Trait("Category", "Bench")]
    public void Promoted_by_a_collection_after_growth()
    {
        byte[] value = new byte[100];
        foreach ((int from, int to) in new[] { (100_000, 147_000), (180_000, 227_000) })
        {
            var store = new KeyValueStore();
            for (int i = 0; i < from; i++)
            {
                store.PutIfNewer($"key-{i}", value, 1);
            }

            string[] keys = [.. Enumerable.Range(from, to - from).Select(i => $"key-{i}")];
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true); // the store and the keys to add are old now

            foreach (string key in keys)
            {
                store.PutIfNewer(key, value, 1);
            }

            GC.Collect(0, GCCollectionMode.Forced, blocking: true);
            GCMemoryInfo collection = GC.GetGCMemoryInfo(GCKind.Ephemeral);
            Assert.Equal(to, store.Count);
            output.WriteLine($"{from:N0} -> {to:N0} keys: the next gen0 collection promoted {collection.PromotedBytes / 1024:N0} KB and paused {collection.PauseDurations[0].TotalMilliseconds:0.0} ms");
        }
    }
}
