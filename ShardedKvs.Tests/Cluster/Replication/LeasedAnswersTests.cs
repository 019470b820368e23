using System.Net;
using ShardedKvs.Ring;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Cluster.Replication;

/// <summary>
/// Every answer that reports a key's state is a read, and a primary gives it only while every other
/// replica of the key grants it a lease: "not found" to a DELETE of a missing key included. Seen in
/// <c>PartitionedPrimaryTests</c>: a cut-off primary, not yet aware it had been replaced, answered
/// "not found" for a key its successor had since written.
/// </summary>
public sealed class LeasedAnswersTests
{
    [Fact]
    public async Task A_primary_that_lost_its_leases_answers_neither_a_read_nor_a_delete_of_a_missing_key()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(nodes: 3, settings: new Dictionary<string, string?>
        {
            ["Kvs:ReplicationFactor"] = "3",
            ["Kvs:ForwardTimeout"] = "00:00:01", // how long a request waits for leases before it gives up
        });
        var ring = new TokenRing([.. cluster.Nodes.Select(n => n.Address)], replicationFactor: 3);
        string missing = Enumerable.Range(0, 1000).Select(i => $"missing-{i}").First(k => ring.ReplicasOf(k)[0] == cluster[0].Address);
        Assert.Equal(HttpStatusCode.NotFound, (await cluster[0].Client.DeleteKeyAsync(missing)).Status);

        // Without a majority nothing is decided: node 0 stays the key's primary, but its leases run out.
        await cluster[1].StopAsync();
        await cluster[2].StopAsync();
        await Eventually.WaitUntilAsync(
            async () => (await cluster[0].Client.GetKeyAsync(missing)).Status == HttpStatusCode.ServiceUnavailable,
            TimeSpan.FromSeconds(30),
            "node 0's read leases to run out");

        KvsResponse deleted = await cluster[0].Client.DeleteKeyAsync(missing);

        Assert.True(deleted.Status == HttpStatusCode.ServiceUnavailable, deleted.ToString());
        Assert.Contains("lease", deleted.Body["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
