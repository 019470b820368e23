using System.Net;
using System.Text;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Api;

/// <summary>Kvs:MaxRequestBodyBytes = 1024: the limit is exact, with or without a Content-Length.</summary>
public sealed class BodyLimitTests(SmallBodyLimitFixture fixture) : IClassFixture<SmallBodyLimitFixture>
{
    private const int Limit = SmallBodyLimitFixture.Limit;
    private const int Envelope = 12; // {"value":""}

    private TestCluster Cluster => fixture.Cluster;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Body_of_2_KB_is_413_and_nothing_changes(bool announceLength)
    {
        string existing = Keys.Unique("limit-old");
        Assert.Equal(HttpStatusCode.Created, (await Cluster[0].Client.PutAsync(existing, "old")).Status);
        string fresh = Keys.Unique("limit-new");
        string before = await ClusterProbe.DescribeAsync(Cluster);

        foreach (string key in new[] { existing, fresh })
        {
            foreach (TestNode node in Cluster.Nodes)
            {
                using var content = new LargeValueContent(2048, announceLength);
                KvsResponse response = await node.Client.SendAsync(HttpMethod.Put, $"/kvs/keys/{key}", content);
                ApiAssert.Is(response, HttpStatusCode.RequestEntityTooLarge, ApiAssert.Error($"Request body is larger than {Limit} bytes", "Error in PUT"));
            }
        }

        Assert.Equal(before, await ClusterProbe.DescribeAsync(Cluster));
        await ApiAssert.HasValueAsync(Cluster[1].Client, existing, "old");
        await ApiAssert.IsMissingAsync(Cluster[1].Client, fresh);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Body_of_exactly_the_limit_is_stored_and_one_byte_more_is_413(bool announceLength)
    {
        string key = Keys.Unique("limit-exact");
        using var exact = new LargeValueContent(Limit - Envelope, announceLength);
        using var over = new LargeValueContent(Limit - Envelope + 1, announceLength);

        KvsResponse put = await Cluster[0].Client.SendAsync(HttpMethod.Put, $"/kvs/keys/{key}", exact);
        string before = await ClusterProbe.DescribeAsync(Cluster);
        KvsResponse tooLarge = await Cluster[1].Client.SendAsync(HttpMethod.Put, $"/kvs/keys/{key}", over);

        Assert.Equal(HttpStatusCode.Created, put.Status);
        ApiAssert.Is(tooLarge, HttpStatusCode.RequestEntityTooLarge, ApiAssert.Error($"Request body is larger than {Limit} bytes", "Error in PUT"));
        Assert.Equal(before, await ClusterProbe.DescribeAsync(Cluster));
        await ApiAssert.HasValueAsync(Cluster[1].Client, key, new string('a', Limit - Envelope));
    }

    [Fact]
    public async Task Oversized_body_is_413_even_when_it_is_not_json()
    {
        string key = Keys.Unique("limit-garbage");
        string before = await ClusterProbe.DescribeAsync(Cluster);

        KvsResponse response = await Cluster[0].Client.SendAsync(
            HttpMethod.Put, $"/kvs/keys/{key}", new StringContent(new string('{', 4096), Encoding.UTF8, "application/json"));

        ApiAssert.Is(response, HttpStatusCode.RequestEntityTooLarge, ApiAssert.Error($"Request body is larger than {Limit} bytes", "Error in PUT"));
        Assert.Equal(before, await ClusterProbe.DescribeAsync(Cluster));
    }

    [Fact]
    public async Task Json_nested_deeper_than_the_reader_allows_is_a_clean_400()
    {
        string key = Keys.Unique("limit-deep");
        string before = await ClusterProbe.DescribeAsync(Cluster);
        string body = "{\"value\":" + new string('[', 400) + new string(']', 400) + "}";

        KvsResponse response = await PutValidationTests.PutRawAsync(Cluster[1], key, body);

        ApiAssert.Is(response, HttpStatusCode.BadRequest, ApiAssert.Error("Invalid JSON body", "Error in PUT"));
        Assert.Equal(before, await ClusterProbe.DescribeAsync(Cluster));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task View_change_body_is_bounded_by_the_same_limit(bool announceLength)
    {
        string before = await ClusterProbe.DescribeAsync(Cluster);
        using var content = new LargeValueContent(2048, announceLength, field: "view", fill: (byte)',');

        KvsResponse response = await Cluster[0].Client.SendAsync(HttpMethod.Put, "/kvs/view-change", content);

        ApiAssert.Is(response, HttpStatusCode.RequestEntityTooLarge, ApiAssert.Error($"Request body is larger than {Limit} bytes", "Error in PUT"));
        Assert.Equal(before, await ClusterProbe.DescribeAsync(Cluster));
    }
}
