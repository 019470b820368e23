using System.Net;
using System.Text.Json;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Api;

/// <summary>
/// The node percent-decodes the raw request target exactly once: every spelling of a key reaches the
/// same stored key from every node (through forwarding too), and a target that does not decode to
/// UTF-8 is a JSON 400 that stores nothing. Raw targets go over a bare socket, so no client library
/// re-escapes or normalizes them on the way.
/// </summary>
public sealed class KeyEncodingTests(ThreeNodeFixture fixture) : IClassFixture<ThreeNodeFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    [Theory]
    [InlineData("a%2Fb", "a/b")]
    [InlineData("a%2fb", "a/b")]
    [InlineData("a/b", "a/b")]
    [InlineData("a//b/", "a//b/")]
    [InlineData("a%20b", "a b")]
    [InlineData("%D0%BA%D0%BB%D1%8E%D1%87", "ключ")]
    [InlineData("%d0%ba%d0%bb%d1%8e%d1%87", "ключ")]
    [InlineData("%F0%9F%94%91", "🔑")]
    [InlineData("100%25", "100%")]
    [InlineData("%252F", "%2F")]
    [InlineData("a%3Fb", "a?b")]
    [InlineData("a%23b", "a#b")]
    [InlineData("a+b", "a+b")]
    [InlineData("%7E~", "~~")]
    [InlineData("%2E%2E%2Fx", "../x")]
    [InlineData("a%2F..%2Fb", "a/../b")]
    [InlineData("%22%5C%7B%7D", "\"\\{}")]
    public async Task Every_spelling_reaches_one_key_from_every_node(string spelled, string decoded)
    {
        string suffix = Keys.Unique("");
        string target = $"/kvs/keys/{spelled}{suffix}";
        string key = decoded + suffix;
        string owner = Keys.OwnerOf(Cluster[0], key);
        string before = await ClusterProbe.DescribeAsync(Cluster);

        KvsResponse put = await RawHttp.SendAsync(Cluster[0].Address, "PUT", target, """{"value":"encoded"}""");

        Assert.True(put.Status == HttpStatusCode.Created, $"PUT {target}: {put}");
        Assert.Equal(owner == Cluster[0].Address ? null : owner, put.Field("address"));
        Assert.True(Cluster.Nodes.Single(n => n.Address == owner).Store.TryGet(key, out _), $"the owner does not hold {JsonSerializer.Serialize(key)}");
        await ApiAssert.HasValueAsync(Cluster[1].Client, key, "encoded");
        KvsResponse rawGet = await RawHttp.SendAsync(Cluster[2].Address, "GET", target);
        Assert.True(rawGet.Status == HttpStatusCode.OK && rawGet.Field("value") == "encoded", $"GET {target}: {rawGet}");

        KvsResponse delete = await Cluster[2].Client.DeleteKeyAsync(key);
        Assert.Equal(HttpStatusCode.OK, delete.Status);
        KvsResponse gone = await RawHttp.SendAsync(Cluster[0].Address, "GET", target);
        Assert.Equal(HttpStatusCode.NotFound, gone.Status);
        Assert.Equal(before, await ClusterProbe.DescribeAsync(Cluster));
    }

    [Fact]
    public async Task Slash_raw_and_encoded_in_either_case_is_one_key()
    {
        string suffix = Keys.Unique("");
        string before = await ClusterProbe.DescribeAsync(Cluster);

        KvsResponse first = await RawHttp.SendAsync(Cluster[0].Address, "PUT", $"/kvs/keys/a%2Fb{suffix}", """{"value":"1"}""");
        KvsResponse second = await RawHttp.SendAsync(Cluster[1].Address, "PUT", $"/kvs/keys/a/b{suffix}", """{"value":"2"}""");
        KvsResponse third = await RawHttp.SendAsync(Cluster[2].Address, "PUT", $"/kvs/keys/a%2fb{suffix}", """{"value":"3"}""");

        Assert.Equal(HttpStatusCode.Created, first.Status);
        Assert.Equal(HttpStatusCode.OK, second.Status);
        Assert.Equal(HttpStatusCode.OK, third.Status);
        await ApiAssert.HasValueAsync(Cluster[0].Client, $"a/b{suffix}", "3");
        Assert.Equal(HttpStatusCode.OK, (await RawHttp.SendAsync(Cluster[1].Address, "DELETE", $"/kvs/keys/a/b{suffix}")).Status);
        Assert.Equal(before, await ClusterProbe.DescribeAsync(Cluster));
    }

    [Fact]
    public async Task Query_string_is_not_part_of_the_key()
    {
        string key = Keys.Unique("query");

        KvsResponse put = await RawHttp.SendAsync(Cluster[0].Address, "PUT", $"/kvs/keys/{key}?value=ignored", """{"value":"q"}""");

        Assert.Equal(HttpStatusCode.Created, put.Status);
        await ApiAssert.HasValueAsync(Cluster[1].Client, key, "q");
    }

    public static TheoryData<string> MalformedKeys =>
    [
        "%ZZ",        // not hex
        "a%",         // truncated escape
        "a%2",        // truncated escape
        "%C3%28",     // invalid UTF-8: a lead byte followed by ASCII
        "%E2%82",     // truncated UTF-8 sequence
        "%FF",        // never valid in UTF-8
        "%C0%AF",     // overlong encoding of '/'
        "%ED%A0%80",  // an encoded UTF-16 surrogate
        "%F4%90%80%80", // beyond U+10FFFF
    ];

    [Theory]
    [MemberData(nameof(MalformedKeys))]
    public async Task Malformed_encoding_is_a_json_400_and_stores_nothing(string spelled)
    {
        string suffix = Keys.Unique("");
        string target = $"/kvs/keys/{spelled}{suffix}";
        string before = await ClusterProbe.DescribeAsync(Cluster);

        foreach (TestNode node in Cluster.Nodes)
        {
            foreach ((string method, string message) in new[] { ("PUT", "Error in PUT"), ("GET", "Error in GET"), ("DELETE", "Error in DELETE") })
            {
                KvsResponse response = await RawHttp.SendAsync(node.Address, method, target, method == "PUT" ? """{"value":"v"}""" : null);
                ApiAssert.Is(response, HttpStatusCode.BadRequest, ApiAssert.Error("Key is not a valid percent-encoded UTF-8 string", message));
            }
        }

        Assert.Equal(before, await ClusterProbe.DescribeAsync(Cluster));

        // Nor was it stored under the literal text or a replacement-character spelling.
        await ApiAssert.IsMissingAsync(Cluster[0].Client, spelled + suffix);
        Assert.All(Cluster.Nodes, n => Assert.DoesNotContain(n.Store.Entries, e => e.Key.EndsWith(suffix, StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("PUT", "/kvs/keys/")]
    [InlineData("GET", "/kvs/keys/")]
    [InlineData("DELETE", "/kvs/keys/")]
    [InlineData("GET", "/kvs/keys")]
    [InlineData("PUT", "/kvs/keys?value=x")]
    [InlineData("DELETE", "/kvs/keys/?x=1")]
    public async Task Empty_key_is_a_json_400(string method, string target)
    {
        string before = await ClusterProbe.DescribeAsync(Cluster);

        KvsResponse response = await RawHttp.SendAsync(Cluster[0].Address, method, target, method == "PUT" ? """{"value":"v"}""" : null);

        ApiAssert.Is(response, HttpStatusCode.BadRequest, ApiAssert.Error("Key is missing", $"Error in {method}"));
        Assert.Equal(before, await ClusterProbe.DescribeAsync(Cluster));
    }

    [Fact]
    public async Task Absolute_form_and_upper_case_targets_reach_the_same_key()
    {
        // HTTP/1.1 allows "PUT http://host/kvs/keys/k"; routing ignores the case of "/kvs/keys/".
        string key = Keys.Unique("absolute");

        KvsResponse put = await RawHttp.SendAsync(Cluster[0].Address, "PUT", $"http://{Cluster[0].Address}/kvs/keys/{key}%2Fx?q=1", """{"value":"abs"}""");
        KvsResponse update = await RawHttp.SendAsync(Cluster[1].Address, "PUT", $"/KVS/Keys/{key}%2fx", """{"value":"upper"}""");

        Assert.True(put.Status == HttpStatusCode.Created, put.ToString());
        Assert.True(update.Status == HttpStatusCode.OK, update.ToString());
        await ApiAssert.HasValueAsync(Cluster[2].Client, $"{key}/x", "upper");
    }

    [Theory]
    [InlineData("%2E%2E")]
    [InlineData("..")]
    [InlineData("%2E")]
    [InlineData(".")]
    public async Task Dot_segment_keys_are_a_json_400(string spelled)
    {
        // "." and ".." cannot travel as one path segment (URL normalization removes them on the way
        // to the owner), so they are refused rather than stored under a key other nodes cannot reach.
        string before = await ClusterProbe.DescribeAsync(Cluster);

        foreach (TestNode node in Cluster.Nodes)
        {
            foreach ((string method, string message) in new[] { ("PUT", "Error in PUT"), ("GET", "Error in GET"), ("DELETE", "Error in DELETE") })
            {
                KvsResponse response = await RawHttp.SendAsync(node.Address, method, $"/kvs/keys/{spelled}", method == "PUT" ? """{"value":"v"}""" : null);
                ApiAssert.Is(response, HttpStatusCode.BadRequest, ApiAssert.Error("Key must not be '.' or '..'", message));
            }
        }

        Assert.Equal(before, await ClusterProbe.DescribeAsync(Cluster));
    }
}
