using System.Net;
using System.Text;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Api;

/// <summary>Bad PUT bodies and keys: the exact error, and nothing stored or replaced.</summary>
public sealed class PutValidationTests(ThreeNodeFixture fixture) : IClassFixture<ThreeNodeFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    public static TheoryData<string?, string> BadBodies => new()
    {
        { null, "Value is missing" },
        { "", "Value is missing" },
        { "{}", "Value is missing" },
        { """{"other":"v"}""", "Value is missing" },
        { """{"value":null}""", "Value is missing" },
        { """{"value":5}""", "Value must be a string" },
        { """{"value":true}""", "Value must be a string" },
        { """{"value":{}}""", "Value must be a string" },
        { """{"value":{"value":"v"}}""", "Value must be a string" },
        { """{"value":[1]}""", "Value must be a string" },
        { """{"value""", "Invalid JSON body" },
        { """{"value":"a""", "Invalid JSON body" },
        { """{"value":"a"} x""", "Invalid JSON body" },
        { """{"value":"a"}{"value":"b"}""", "Invalid JSON body" },
        { """{"value":"a",}""", "Invalid JSON body" },
        { "{'value':'a'}", "Invalid JSON body" },
        { "value=a", "Invalid JSON body" },
        { """{"value":"\ud800"}""", "Value is not valid Unicode text" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_body_is_refused_and_changes_nothing(string? body, string error)
    {
        // One key that exists (its value must survive) and one that does not (it must not appear),
        // each sent to a node that owns it and to one that would forward it.
        string existing = Keys.OwnedBy(Cluster[1], "put-bad-old");
        string fresh = Keys.OwnedBy(Cluster[2], "put-bad-new");
        Assert.Equal(HttpStatusCode.Created, (await Cluster[0].Client.PutAsync(existing, "old")).Status);
        string before = await ClusterProbe.DescribeAsync(Cluster);

        foreach (string key in new[] { existing, fresh })
        {
            foreach (TestNode node in Cluster.Nodes)
            {
                KvsResponse response = await PutRawAsync(node, key, body);
                ApiAssert.Is(response, HttpStatusCode.BadRequest, ApiAssert.Error(error, "Error in PUT"));
            }
        }

        Assert.Equal(before, await ClusterProbe.DescribeAsync(Cluster));
        await ApiAssert.HasValueAsync(Cluster[2].Client, existing, "old");
        await ApiAssert.IsMissingAsync(Cluster[0].Client, fresh);
    }

    [Fact]
    public async Task Any_content_type_is_accepted_when_the_body_is_valid_json()
    {
        string key = Keys.Unique("put-text-plain");
        string before = await ClusterProbe.DescribeAsync(Cluster);

        KvsResponse put = await Cluster[0].Client.SendAsync(
            HttpMethod.Put, $"/kvs/keys/{key}", new StringContent("""{"value":"plain"}""", Encoding.UTF8, "text/plain"));
        KvsResponse update = await Cluster[1].Client.SendAsync(
            HttpMethod.Put, $"/kvs/keys/{key}", new ByteArrayContent("""{"value":"no type"}"""u8.ToArray()));

        Assert.Equal(HttpStatusCode.Created, put.Status);
        Assert.Equal("Added successfully", put.Field("message"));
        Assert.Equal(HttpStatusCode.OK, update.Status);
        Assert.Equal("Updated successfully", update.Field("message"));
        await ApiAssert.HasValueAsync(Cluster[2].Client, key, "no type");
        Assert.NotEqual(before, await ClusterProbe.DescribeAsync(Cluster));
    }

    [Fact]
    public async Task Fields_other_than_value_are_ignored()
    {
        string key = Keys.Unique("put-extra-fields");

        KvsResponse put = await PutRawAsync(Cluster[0], key, """{"causal-metadata":{"a":[1,2]},"value":"v","x":null}""");

        Assert.Equal(HttpStatusCode.Created, put.Status);
        await ApiAssert.HasValueAsync(Cluster[1].Client, key, "v");
    }

    [Fact]
    public async Task Key_of_50_characters_is_stored()
    {
        string key = Keys.Unique("k").PadRight(50, 'x');
        Assert.Equal(50, key.Length);

        KvsResponse put = await Cluster[0].Client.PutAsync(key, "fifty");

        ApiAssert.Is(put, HttpStatusCode.Created, AddedBody(Cluster[0], key));
        await ApiAssert.HasValueAsync(Cluster[1].Client, key, "fifty");
    }

    [Fact]
    public async Task Key_of_51_characters_is_too_long_and_nothing_is_stored()
    {
        string key = Keys.Unique("k").PadRight(51, 'x');
        string before = await ClusterProbe.DescribeAsync(Cluster);

        foreach (TestNode node in Cluster.Nodes)
        {
            ApiAssert.Is(await node.Client.PutAsync(key, "too long"), HttpStatusCode.BadRequest, ApiAssert.Error("Key is too long", "Error in PUT"));
        }

        Assert.Equal(before, await ClusterProbe.DescribeAsync(Cluster));
        await ApiAssert.IsMissingAsync(Cluster[0].Client, key);
    }

    [Theory]
    [InlineData(null, "Value is missing")]
    [InlineData("{}", "Value is missing")]
    [InlineData("""{"value":null}""", "Value is missing")]
    [InlineData("""{"value":1}""", "Value must be a string")]
    [InlineData("""{"value""", "Invalid JSON body")]
    public async Task Body_is_checked_before_the_key_length_as_the_reference_does(string? body, string error)
    {
        string key = Keys.Unique("k").PadRight(51, 'x');
        string before = await ClusterProbe.DescribeAsync(Cluster);

        KvsResponse response = await PutRawAsync(Cluster[1], key, body);

        ApiAssert.Is(response, HttpStatusCode.BadRequest, ApiAssert.Error(error, "Error in PUT"));
        Assert.Equal(before, await ClusterProbe.DescribeAsync(Cluster));
    }

    [Fact]
    public async Task Key_length_counts_characters_not_bytes()
    {
        // 50 Cyrillic characters are 100 UTF-8 bytes: still a key of 50 characters.
        string key = string.Concat(Keys.Unique("ж"), new string('ж', 50)).Substring(0, 50);

        KvsResponse put = await Cluster[2].Client.PutAsync(key, "cyrillic");

        Assert.Equal(HttpStatusCode.Created, put.Status);
        await ApiAssert.HasValueAsync(Cluster[0].Client, key, "cyrillic");
        ApiAssert.Is(await Cluster[2].Client.PutAsync(key + "ж", "x"), HttpStatusCode.BadRequest, ApiAssert.Error("Key is too long", "Error in PUT"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Body_of_50_MB_against_the_default_1_MB_limit_is_413(bool announceLength)
    {
        string key = Keys.Unique("put-huge");
        string before = await ClusterProbe.DescribeAsync(Cluster);
        using var content = new LargeValueContent(50L * 1024 * 1024, announceLength);

        KvsResponse response = await Cluster[0].Client.SendAsync(HttpMethod.Put, $"/kvs/keys/{key}", content);

        ApiAssert.Is(response, HttpStatusCode.RequestEntityTooLarge, ApiAssert.Error("Request body is larger than 1048576 bytes", "Error in PUT"));
        Assert.Equal(before, await ClusterProbe.DescribeAsync(Cluster));
        await ApiAssert.IsMissingAsync(Cluster[1].Client, key);
    }

    [Fact]
    public async Task Value_just_under_the_default_limit_is_stored_through_a_forwarding_node()
    {
        string key = Keys.OwnedBy(Cluster[1], "put-near-limit");
        using var content = new LargeValueContent((1024 * 1024) - 12, announceLength: true);
        Assert.Equal(1024 * 1024, content.TotalBytes);

        KvsResponse put = await Cluster[0].Client.SendAsync(HttpMethod.Put, $"/kvs/keys/{key}", content);

        ApiAssert.Is(put, HttpStatusCode.Created, AddedBody(Cluster[0], key));
        KvsResponse get = await Cluster[2].Client.GetKeyAsync(key);
        Assert.Equal(HttpStatusCode.OK, get.Status);
        Assert.Equal((1024 * 1024) - 12, get.Field("value")!.Length);
        Assert.Equal(HttpStatusCode.OK, (await Cluster[0].Client.DeleteKeyAsync(key)).Status);
    }

    private static System.Text.Json.Nodes.JsonObject AddedBody(TestNode answering, string key)
    {
        var body = new System.Text.Json.Nodes.JsonObject { ["message"] = "Added successfully", ["replaced"] = false };
        string owner = Keys.OwnerOf(answering, key);
        if (owner != answering.Address)
        {
            body["address"] = owner;
        }

        return body;
    }

    /// <summary>PUT with exactly these body bytes (or none at all when null).</summary>
    internal static Task<KvsResponse> PutRawAsync(TestNode node, string key, string? body) =>
        node.Client.SendAsync(
            HttpMethod.Put,
            $"/kvs/keys/{Uri.EscapeDataString(key)}",
            body is null ? null : new StringContent(body, Encoding.UTF8, "application/json"));
}
