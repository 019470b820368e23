using System.Collections.Immutable;
using ShardedKvs.Ring;

namespace ShardedKvs.Tests.Ring;

public class ViewParserTests
{
    [Theory]
    [InlineData("localhost:13801", "localhost:13801")]
    [InlineData("node-a:1,node-b:65535", "node-a:1", "node-b:65535")]
    [InlineData("c.example.com:3,a_1:1,b:2", "c.example.com:3", "a_1:1", "b:2")]
    [InlineData("10.0.0.1:13801,10.0.0.2:13801", "10.0.0.1:13801", "10.0.0.2:13801")]
    [InlineData("[::1]:13801", "[::1]:13801")]
    [InlineData("[fe80::1]:1,[::1]:2", "[fe80::1]:1", "[::1]:2")]
    [InlineData(" a:1 ,  b:2\t, c:3 ", "a:1", "b:2", "c:3")]
    [InlineData("a:1,a:2", "a:1", "a:2")]
    public void Valid_view_parses_to_its_trimmed_addresses_in_order(string text, params string[] expected)
    {
        Assert.True(ViewParser.TryParse(text, out ImmutableArray<string> nodes, out string? error), error);
        Assert.Null(error);
        Assert.Equal(expected, nodes);
    }

    [Theory]
    [InlineData(null, "empty")]
    [InlineData("", "empty")]
    [InlineData(" ", "empty")]
    [InlineData(",", "Invalid address in view: ''")]
    [InlineData("a:1,", "Invalid address in view: ''")]
    [InlineData("h", "Invalid address in view: 'h'")]
    [InlineData("h:", "Invalid address in view: 'h:'")]
    [InlineData(":1", "Invalid address in view: ':1'")]
    [InlineData("h:0", "Invalid address in view: 'h:0'")]
    [InlineData("h:70000", "Invalid address in view: 'h:70000'")]
    [InlineData("h:abc", "Invalid address in view: 'h:abc'")]
    [InlineData("h:-1", "Invalid address in view: 'h:-1'")]
    [InlineData("a:1,my host:2", "Invalid address in view: 'my host:2'")]
    [InlineData("a/b:1", "Invalid address in view: 'a/b:1'")]
    [InlineData("::1:80", "Invalid address in view: '::1:80'")]
    [InlineData("[nope]:80", "Invalid address in view: '[nope]:80'")]
    [InlineData("a:1,a:1", "Duplicate address in view: 'a:1'")]
    [InlineData("a:1,b:2,A:1", "Duplicate address in view: 'A:1'")]
    public void Invalid_view_is_rejected_naming_the_problem(string? text, string expectedError) =>
        AssertRejected(text, expectedError);

    [Fact]
    public void Invalid_address_error_says_what_is_expected() =>
        AssertRejected("h:70000", "expected host:port");

    [Fact]
    public void At_most_256_nodes()
    {
        Assert.True(ViewParser.TryParse(ViewOf(256), out ImmutableArray<string> nodes, out _));
        Assert.Equal(256, nodes.Length);

        AssertRejected(ViewOf(257), "more than 256 nodes");
    }

    [Fact]
    public void Address_of_at_most_255_characters()
    {
        string longest = new string('h', 250) + ":1234";
        Assert.True(ViewParser.TryParse(longest, out ImmutableArray<string> nodes, out _));
        Assert.Equal<string>([longest], nodes);

        AssertRejected("a:1," + new string('h', 251) + ":1234", "longer than 255 characters");
    }

    private static string ViewOf(int nodes) =>
        string.Join(',', Enumerable.Range(0, nodes).Select(i => $"node-{i}:13801"));

    private static void AssertRejected(string? text, string expectedError)
    {
        Assert.False(ViewParser.TryParse(text, out ImmutableArray<string> nodes, out string? error));
        Assert.True(nodes.IsDefault);
        Assert.Contains(expectedError, error, StringComparison.OrdinalIgnoreCase);
    }
}
