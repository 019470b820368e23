using System.IO.Hashing;
using System.Text;
using ShardedKvs.Ring;

namespace ShardedKvs.Tests.Ring;

public class StableHashTests
{
    // Literal values, computed once. Every node in every process must get exactly these, or nodes
    // disagree about who owns a key. The empty-string value is XXH3-64's published reference vector.
    [Theory]
    [InlineData("", 0x2D06800538D394C2UL)]
    [InlineData("a", 0xE6C632B61E964E1FUL)]
    [InlineData("key-0", 0x819F6B51706F0178UL)]
    [InlineData("node-a:13801#0", 0x2380630A10666FC9UL)]
    [InlineData("héllo", 0x6A45B79A7B549B1FUL)]
    [InlineData("ключ", 0x9A137C08C1E55EDEUL)]
    [InlineData("🙂", 0xFC36EFD00B5D95A7UL)]
    public void Of_string_is_pinned(string text, ulong expected) =>
        Assert.Equal(expected, StableHash.Of(text));

    [Fact]
    public void Of_long_string_is_pinned() =>
        Assert.Equal(0x4D3F26454E4C3335UL, StableHash.Of(new string('z', 300)));

    // Lengths straddle the 256-byte stack buffer (84 chars fit, 85 do not) and go well past it.
    [Theory]
    [InlineData("k", 1)]
    [InlineData("key-", 3)]
    [InlineData("z", 84)]
    [InlineData("z", 85)]
    [InlineData("z", 300)]
    [InlineData("z", 10_000)]
    [InlineData("é", 1)]
    [InlineData("é", 200)]
    [InlineData("ключ", 100)]
    [InlineData("🙂", 1)]
    [InlineData("🙂", 90)]
    [InlineData("a\u0000b", 2)]
    public void Of_string_is_XxHash3_of_its_UTF8_bytes(string unit, int repeat)
    {
        string text = string.Concat(Enumerable.Repeat(unit, repeat));
        byte[] utf8 = Encoding.UTF8.GetBytes(text);

        Assert.Equal(XxHash3.HashToUInt64(utf8), StableHash.Of(text));
        Assert.Equal(StableHash.Of(text), StableHash.Of(utf8));
    }

    [Fact]
    public void Of_is_case_sensitive_and_position_sensitive()
    {
        Assert.NotEqual(StableHash.Of("key"), StableHash.Of("Key"));
        Assert.NotEqual(StableHash.Of("ab"), StableHash.Of("ba"));
    }

    [Theory]
    [InlineData("node-a:13801", 0)]
    [InlineData("node-a:13801", 255)]
    [InlineData("[::1]:13801", 7)]
    public void OfToken_hashes_address_hash_index(string address, int index) =>
        Assert.Equal(StableHash.Of($"{address}#{index}"), StableHash.OfToken(address, index));

    [Fact]
    public void OfToken_first_token_is_pinned() =>
        Assert.Equal(0x2380630A10666FC9UL, StableHash.OfToken("node-a:13801", 0));
}
