using System.Net;
using System.Text;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Api;

/// <summary>
/// Values come back exactly as sent, whether stored and read through the owner or through nodes
/// that forward to it; values that are not Unicode text are refused before anything is stored.
/// </summary>
public sealed class ValueRoundTripTests(ThreeNodeFixture fixture) : IClassFixture<ThreeNodeFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    public static TheoryData<string, string> Values => new()
    {
        { "unicode", "ключ 🔑 中文 é ñ \u00ad \u200b \ufeff" },
        { "escapes", "quote\" backslash\\ slash/ nul\0 newline\n tab\t cr\r bell\u0007 unit\u001f del\u007f ls\u2028 ps\u2029" },
        { "json-in-a-string", """{"value":"nested","n":[1,2,{}]}""" },
        { "html", "<script>alert('x')</script> &amp; +" },
        { "empty", "" },
        { "spaces", "   " },
        { "100KB-ascii", new string('x', 100 * 1024) },
        { "100KB-unicode", string.Concat(Enumerable.Repeat("é🔑ж\"\\\n", 100 * 1024 / 12)) },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public async Task Value_round_trips_exactly_through_a_forwarding_node(string name, string value)
    {
        string key = Keys.OwnedBy(Cluster[1], $"val-{name[..Math.Min(name.Length, 20)]}");

        KvsResponse put = await Cluster[0].Client.PutAsync(key, value);

        ApiAssert.Is(put, HttpStatusCode.Created, new() { ["message"] = "Added successfully", ["replaced"] = false, ["address"] = Cluster[1].Address });
        foreach (TestNode node in Cluster.Nodes)
        {
            await ApiAssert.HasValueAsync(node.Client, key, value);
        }

        // Replaced with itself through the other forwarding node: still exactly the same.
        Assert.Equal(HttpStatusCode.OK, (await Cluster[2].Client.PutAsync(key, value)).Status);
        await ApiAssert.HasValueAsync(Cluster[0].Client, key, value);
        Assert.Equal(HttpStatusCode.OK, (await Cluster[2].Client.DeleteKeyAsync(key)).Status);
    }

    [Theory]
    [InlineData("""{"value":"\u0000\"\\\n\ud83d\udd11\/"}""", "\0\"\\\n🔑/")]
    [InlineData("""{"value":"\u00e9\u0416"}""", "éЖ")]
    [InlineData("""{"value":""}""", "")]
    [InlineData("""  {  "value"  :  "spaced"  }  """, "spaced")]
    [InlineData("""{"value":"first","value":"last"}""", "last")]
    public async Task Escaped_json_is_stored_as_the_text_it_denotes(string body, string value)
    {
        string key = Keys.OwnedBy(Cluster[2], "val-escaped");

        KvsResponse put = await PutValidationTests.PutRawAsync(Cluster[0], key, body);

        Assert.Equal(HttpStatusCode.Created, put.Status);
        foreach (TestNode node in Cluster.Nodes)
        {
            await ApiAssert.HasValueAsync(node.Client, key, value);
        }
    }

    [Fact]
    public async Task Empty_string_is_a_value_not_a_missing_one()
    {
        string key = Keys.OwnedBy(Cluster[2], "val-empty");

        ApiAssert.Is(await Cluster[0].Client.PutAsync(key, ""), HttpStatusCode.Created, new() { ["message"] = "Added successfully", ["replaced"] = false, ["address"] = Cluster[2].Address });
        KvsResponse get = await Cluster[1].Client.GetKeyAsync(key);

        ApiAssert.Is(get, HttpStatusCode.OK, new() { ["doesExist"] = true, ["message"] = "Retrieved successfully", ["value"] = "", ["address"] = Cluster[2].Address });
        ApiAssert.Is(await Cluster[1].Client.PutAsync(key, "now set"), HttpStatusCode.OK, new() { ["message"] = "Updated successfully", ["replaced"] = true, ["address"] = Cluster[2].Address });
        ApiAssert.Is(await Cluster[2].Client.PutAsync(key, ""), HttpStatusCode.OK, new() { ["message"] = "Updated successfully", ["replaced"] = true });
        await ApiAssert.HasValueAsync(Cluster[0].Client, key, "");
    }

    [Theory]
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0xC3, 0x28 })]
    [InlineData(new byte[] { 0xE2, 0x82 })]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]
    [InlineData(new byte[] { 0xC0, 0xAF })]
    public async Task Value_that_is_not_utf8_is_refused_and_changes_nothing(byte[] bad)
    {
        string existing = Keys.OwnedBy(Cluster[1], "val-bad-old");
        string fresh = Keys.OwnedBy(Cluster[1], "val-bad-new");
        Assert.Equal(HttpStatusCode.Created, (await Cluster[0].Client.PutAsync(existing, "old")).Status);
        string before = await ClusterProbe.DescribeAsync(Cluster);
        byte[] body = [.. "{\"value\":\"ok "u8, .. bad, .. " tail\"}"u8];

        foreach (string key in new[] { existing, fresh })
        {
            foreach (TestNode node in Cluster.Nodes)
            {
                KvsResponse response = await node.Client.SendAsync(HttpMethod.Put, $"/kvs/keys/{key}", new ByteArrayContent(body));
                ApiAssert.Is(response, HttpStatusCode.BadRequest, ApiAssert.Error("Value is not valid Unicode text", "Error in PUT"));
            }
        }

        Assert.Equal(before, await ClusterProbe.DescribeAsync(Cluster));
        await ApiAssert.HasValueAsync(Cluster[2].Client, existing, "old");
        await ApiAssert.IsMissingAsync(Cluster[2].Client, fresh);
    }

    [Fact]
    public async Task Values_survive_being_moved_by_a_view_change_byte_for_byte()
    {
        // Values travel to their new owner in migration batches: they must arrive unchanged.
        var stored = new Dictionary<string, string>();
        foreach ((string name, string value) in Values.Select(row => ((string)row[0], (string)row[1])))
        {
            string key = Keys.OwnedBy(Cluster[2], $"val-move-{name[..Math.Min(name.Length, 12)]}");
            Assert.Equal(HttpStatusCode.Created, (await Cluster[0].Client.PutAsync(key, value)).Status);
            stored[key] = value;
        }

        Assert.Equal(HttpStatusCode.OK, (await Cluster[0].Client.ChangeViewAsync(Cluster.ViewOf(0, 1))).Status);
        try
        {
            foreach ((string key, string value) in stored)
            {
                await ApiAssert.HasValueAsync(Cluster[1].Client, key, value);
            }
        }
        finally
        {
            KvsResponse back = await Cluster[0].Client.ChangeViewAsync(Cluster.InitialView);
            Assert.Equal(HttpStatusCode.OK, back.Status);
        }

        foreach ((string key, string value) in stored)
        {
            await ApiAssert.HasValueAsync(Cluster[0].Client, key, value);
            Assert.True(Cluster[2].Store.TryGet(key, out ReadOnlyMemory<byte> raw), "the key moved back to node 2");
            Assert.Equal(Encoding.UTF8.GetBytes(value), raw.ToArray());
            Assert.Equal(HttpStatusCode.OK, (await Cluster[0].Client.DeleteKeyAsync(key)).Status);
        }
    }
}
