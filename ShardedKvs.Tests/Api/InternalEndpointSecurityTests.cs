using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Api;

/// <summary>
/// /internal/* answers only calls signed with the cluster key (with one copy per key, also only from
/// nodes of a view it knows: <see cref="RoundOneSenderCheckTests"/>). A refused call changes nothing:
/// no key appears, no view is adopted, no epoch moves.
/// </summary>
public sealed class InternalEndpointSecurityTests(ThreeNodeFixture fixture) : IClassFixture<ThreeNodeFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    /// <summary>Every internal endpoint, with a body that would change something if it were accepted.</summary>
    public static TheoryData<string, string, string?> Endpoints => new()
    {
        { "GET", "/internal/view", null },
        { "GET", "/internal/key-count", null },
        { "GET", "/internal/copies", null },
        { "POST", "/internal/formation/join", """{"address":"127.0.0.9:9"}""" },
        { "POST", "/internal/view-change/prepare", """{"fromEpoch":1,"fromView":"VIEW","toEpoch":2,"toView":"127.0.0.9:9"}""" },
        { "POST", "/internal/view-change/migrate", """{"epoch":2,"view":"127.0.0.9:9"}""" },
        { "POST", "/internal/view-change/commit", """{"epoch":2,"view":"127.0.0.9:9"}""" },
        { "POST", "/internal/view-change/abort", """{"epoch":1,"view":"VIEW"}""" },
        { "POST", "/internal/migration/batch", """{"epoch":2,"source":"127.0.0.9:9","batchId":1,"entries":[{"key":"KEY","value":"planted"}]}""" },
        { "POST", "/internal/migration/discard", """{"epoch":2,"source":"127.0.0.9:9","batchId":1,"entries":[{"key":"KEY","value":"planted"}]}""" },
        { "GET", "/internal/lane?nonce=00112233445566778899AABBCCDDEEFF", null },
        { "POST", "/internal/fill/batch", "not a batch" },
        { "POST", "/internal/replication/uncertain", """{"epoch":1}""" },
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task An_unsigned_call_is_401_and_changes_nothing(string method, string path, string? body)
    {
        await AssertRefusedAsync(method, path, body, HttpStatusCode.Unauthorized, "Missing cluster signature", _ => [(PeerHeaders.Sender, Cluster[1].Address)]);
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task A_call_signed_with_a_wrong_key_is_401_and_changes_nothing(string method, string path, string? body)
    {
        foreach (string wrong in new[] { "wrong-key-0123456789", TestCluster.ClusterKey[..^1], TestCluster.ClusterKey + "x", TestCluster.ClusterKey.ToUpperInvariant() })
        {
            await AssertRefusedAsync(method, path, body, HttpStatusCode.Unauthorized, "Invalid cluster signature", call => Signatures.Headers(method, call.Target, call.Body, Cluster[1].Address, wrong));
        }
    }

    [Theory]
    [InlineData("POST", "/internal/view-change/commit", "")]
    [InlineData("POST", "/internal/view-change/commit", "{not json")]
    [InlineData("POST", "/internal/migration/batch", """{"epoch":"two"}""")]
    [InlineData("POST", "/internal/formation/join", "[]")]
    public async Task The_signature_is_checked_before_the_body_is_parsed(string method, string path, string body)
    {
        // An unauthenticated caller learns nothing about what the body should be, and the node does
        // no parsing work for it.
        await AssertRefusedAsync(method, path, body, HttpStatusCode.Unauthorized, "Missing cluster signature", _ => [(PeerHeaders.Sender, Cluster[1].Address)]);
        await AssertRefusedAsync(method, path, body, HttpStatusCode.Unauthorized, "Invalid cluster signature", call => Signatures.Headers(method, call.Target, "{}", Cluster[1].Address, TestCluster.ClusterKey));
    }

    private Task AssertRefusedAsync(string method, string path, string? body, HttpStatusCode status, string error, Func<(string Target, string? Body), (string Name, string Value)[]> headersFor) =>
        RefusedInternalCall.AssertAsync(Cluster, method, path, body, status, error, headersFor);
}
