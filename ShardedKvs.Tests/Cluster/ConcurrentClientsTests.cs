using System.Collections.Concurrent;
using System.Net;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Cluster;

/// <summary>Many clients at once, through every node, on shared and private keys.</summary>
public sealed class ConcurrentClientsTests : IClassFixture<ConcurrentClientsTests.ThreeNodes>
{
    private const int Writers = 32;
    private readonly TestCluster _cluster;

    public ConcurrentClientsTests(ThreeNodes fixture) => _cluster = fixture.Cluster;

    [Fact]
    public async Task Last_acknowledged_write_wins_for_each_of_32_parallel_writers()
    {
        var acknowledged = new ConcurrentDictionary<string, string>();
        await Parallel.ForAsync(0, Writers, new ParallelOptions { MaxDegreeOfParallelism = Writers }, async (writer, _) =>
        {
            for (int i = 0; i < 25; i++)
            {
                string key = $"writer{writer}";
                string value = $"w{writer}-v{i}";
                KvsResponse put = await _cluster[(writer + i) % 3].Client.PutAsync(key, value);
                Assert.True(put.Status is HttpStatusCode.Created or HttpStatusCode.OK, put.ToString());
                Assert.Equal(i > 0, put.Bool("replaced"));
                acknowledged[key] = value;
            }
        });

        foreach ((string key, string value) in acknowledged)
        {
            foreach (TestNode node in _cluster.Nodes)
            {
                Assert.Equal(value, (await node.Client.GetKeyAsync(key)).Field("value"));
            }
        }
    }

    [Fact]
    public async Task Concurrent_writers_of_one_key_end_on_one_writers_last_value_everywhere()
    {
        string[] lastValues = new string[Writers];
        await Parallel.ForAsync(0, Writers, new ParallelOptions { MaxDegreeOfParallelism = Writers }, async (writer, _) =>
        {
            for (int i = 0; i < 10; i++)
            {
                lastValues[writer] = $"w{writer}-v{i}";
                KvsResponse put = await _cluster[(writer + i) % 3].Client.PutAsync("shared-key", lastValues[writer]);
                Assert.True(put.Status is HttpStatusCode.Created or HttpStatusCode.OK, put.ToString());
            }
        });

        string?[] seen = await Task.WhenAll(_cluster.Nodes.Select(async n => (await n.Client.GetKeyAsync("shared-key")).Field("value")));
        Assert.Single(seen.Distinct());
        Assert.Contains(seen[0], lastValues);
    }

    [Fact]
    public async Task Of_concurrent_first_puts_through_different_nodes_exactly_one_gets_201()
    {
        for (int round = 0; round < 20; round++)
        {
            string key = $"first-put-{round}";
            KvsResponse[] puts = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => _cluster[i % 3].Client.PutAsync(key, $"v{i}")));

            Assert.Single(puts, p => p.Status == HttpStatusCode.Created);
            Assert.Equal(11, puts.Count(p => p.Status == HttpStatusCode.OK && p.Bool("replaced") == true));
        }
    }

    public sealed class ThreeNodes : IAsyncLifetime
    {
        public TestCluster Cluster { get; private set; } = null!;

        public async Task InitializeAsync() => Cluster = await TestCluster.StartAsync(nodes: 3);

        public async Task DisposeAsync() => await Cluster.DisposeAsync();
    }
}
