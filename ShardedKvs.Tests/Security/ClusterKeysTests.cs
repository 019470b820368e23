using System.Text;
using ShardedKvs.Node.Security;

namespace ShardedKvs.Tests.Security;

public sealed class ClusterKeysTests
{
    private static readonly SignedFields Call = new("POST", "/internal/migration/batch", "127.0.0.1:1", "1700000000000", Encoding.UTF8.GetBytes("value"));

    [Fact]
    public void A_signature_verifies_with_the_same_key_only()
    {
        var keys = new ClusterKeys("first-secret-0123456789");
        string signature = keys.Sign(Call);

        Assert.True(keys.Verify(Call, signature));
        Assert.False(new ClusterKeys("other-secret-0123456789").Verify(Call, signature));
    }

    [Theory]
    [InlineData("method")]
    [InlineData("path")]
    [InlineData("sender")]
    [InlineData("timestamp")]
    [InlineData("body")]
    public void Changing_any_signed_field_breaks_the_signature(string field)
    {
        var keys = new ClusterKeys("first-secret-0123456789");
        string signature = keys.Sign(Call);
        SignedFields altered = field switch
        {
            "method" => Call with { Method = "PUT" },
            "path" => Call with { PathAndQuery = "/internal/migration/discard" },
            "sender" => Call with { Sender = "127.0.0.1:2" },
            "timestamp" => Call with { Timestamp = "1700000000001" },
            _ => Call with { Body = Encoding.UTF8.GetBytes("valuE") },
        };

        Assert.False(keys.Verify(altered, signature));
    }

    [Fact]
    public void During_a_rotation_nodes_sign_with_their_first_key_and_accept_any()
    {
        var oldNode = new ClusterKeys("old-secret-0123456789");
        var rotating = new ClusterKeys("new-secret-0123456789,old-secret-0123456789");
        var newNode = new ClusterKeys("new-secret-0123456789");

        Assert.True(rotating.Verify(Call, oldNode.Sign(Call)));
        Assert.True(rotating.Verify(Call, newNode.Sign(Call)));
        Assert.True(newNode.Verify(Call, rotating.Sign(Call)));
        Assert.False(oldNode.Verify(Call, rotating.Sign(Call)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("short")]
    [InlineData("long-enough-secret-123,short")]
    [InlineData(" , ")]
    public void Empty_or_short_keys_are_refused_with_a_clear_message(string configured)
    {
        var error = Assert.Throws<InvalidOperationException>(() => new ClusterKeys(configured));
        Assert.Contains("CLUSTER_KEY", error.Message, StringComparison.Ordinal);
        Assert.Contains("16", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Garbage_signatures_are_rejected_without_throwing()
    {
        var keys = new ClusterKeys("first-secret-0123456789");

        Assert.False(keys.Verify(Call, ""));
        Assert.False(keys.Verify(Call, "not base64!"));
        Assert.False(keys.Verify(Call, Convert.ToBase64String(new byte[31])));
    }
}

public sealed class NodeStartupTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("too-short")]
    public void A_node_refuses_to_start_without_a_long_enough_cluster_key(string? clusterKey)
    {
        var settings = new Dictionary<string, string?> { ["ADDRESS"] = "127.0.0.1:1", ["VIEW"] = "127.0.0.1:1", ["CLUSTER_KEY"] = clusterKey };

        var error = Assert.Throws<InvalidOperationException>(() => ShardedKvs.Node.NodeApp.Create([], builder =>
            Microsoft.Extensions.Configuration.MemoryConfigurationBuilderExtensions.AddInMemoryCollection(builder.Configuration, settings)));

        Assert.Contains("CLUSTER_KEY must be set to a shared secret of at least 16 characters", error.Message, StringComparison.Ordinal);
    }
}
