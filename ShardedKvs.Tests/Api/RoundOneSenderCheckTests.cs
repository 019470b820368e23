using System.Net;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Api;

/// <summary>
/// With one copy per key, a node answers internal calls only from nodes of a view it knows, even
/// when they are signed with the cluster key. (With replication, membership belongs to the decided
/// configuration and a just-added node may know it before its peers do, so the key alone admits.)
/// </summary>
public sealed class RoundOneSenderCheckTests(RoundOneThreeNodeFixture fixture) : IClassFixture<RoundOneThreeNodeFixture>
{
    private const string Outsider = "127.0.0.9:9";

    [Theory]
    [InlineData("POST", "/internal/formation/join", """{"address":"127.0.0.9:9"}""")]
    [InlineData("GET", "/internal/key-count", null)]
    [InlineData("GET", "/internal/copies", null)]
    [InlineData("POST", "/internal/view-change/migrate", """{"epoch":2,"view":"127.0.0.9:9"}""")]
    [InlineData("POST", "/internal/view-change/abort", """{"epoch":1,"view":"VIEW"}""")]
    [InlineData("POST", "/internal/migration/batch", """{"epoch":2,"source":"127.0.0.9:9","batchId":1,"entries":[{"key":"KEY","value":"planted"}]}""")]
    [InlineData("GET", "/internal/lane?nonce=00112233445566778899AABBCCDDEEFF", null)]
    public async Task Right_key_from_a_sender_outside_every_view_is_403_and_changes_nothing(string method, string path, string? body)
    {
        await RefusedInternalCall.AssertAsync(fixture.Cluster, method, path, body, HttpStatusCode.Forbidden, $"Sender '{Outsider}' is not a member of a view this node knows", call => Signatures.Headers(method, call.Target, call.Body, Outsider, TestCluster.ClusterKey));
    }
}
