using System.Net;
using ShardedKvs.Client;
using ShardedKvs.Ring;

namespace ShardedKvs.Tests.Client;

/// <summary>
/// The client's failover rules against a scripted replicated cluster (four nodes, R = 2, no network):
/// a primary that refuses connections is routed around, an excluded node's refusal sends the client to
/// the newer view, and a replicated write whose outcome is unknown is never repeated.
/// </summary>
public sealed class ClientFailoverRetryTests : IDisposable
{
    private static readonly string[] Nodes = ["n1:1", "n2:2", "n3:3", "n4:4"];
    private static readonly TokenRing Ring = new([.. Nodes], tokensPerNode: 16, replicationFactor: 2);

    private readonly ScriptedNodes _nodes = new();
    private readonly ShardedKvsClient _client;
    private volatile string? _excluded;

    public ClientFailoverRetryTests()
    {
        _nodes.ViewJson = self => ScriptedNodes.ReplicatedView(self, _excluded is null ? 1 : 2, 2,
            Nodes.ToDictionary(n => n, n => n == _excluded ? "excluded" : "serving"));
        var options = new ShardedKvsClientOptions { MaxAttempts = 4, RetryDelay = TimeSpan.FromMilliseconds(1), MaxRetryDelay = TimeSpan.FromMilliseconds(2) };
        options.Endpoints.Add("n1:1");
        _client = new ShardedKvsClient(options, _nodes);
    }

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task A_primary_that_refuses_connections_is_routed_around_to_its_next_replica_by_every_later_call()
    {
        const string dead = "n2:2";
        string[] itsKeys = [.. Enumerable.Range(0, 200).Select(i => $"key-{i}").Where(k => Ring.ReplicasOf(k)[0] == dead).Take(5)];
        _nodes.Answer = (_, node, _) => node == dead
            ? throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused")
            : ScriptedNodes.Json(HttpStatusCode.Created, """{"message":"Added successfully","replaced":false}""");

        foreach (string key in itsKeys)
        {
            Assert.Equal(PutResult.Created, await _client.PutAsync(key, "v"));
        }

        (HttpMethod, string Node, string)[] sent = [.. _nodes.KeyRequests];
        Assert.Equal(dead, sent[0].Node); // one refusal, then never again under this view
        Assert.Equal(itsKeys.Select(k => Ring.ReplicasOf(k)[1]), sent.Skip(1).Select(r => r.Node));
    }

    [Fact]
    public async Task A_write_refused_by_an_excluded_node_is_retried_by_the_newer_view_on_the_next_replica()
    {
        const string cutOff = "n3:3";
        string key = Enumerable.Range(0, 200).Select(i => $"key-{i}").First(k => Ring.ReplicasOf(k)[0] == cutOff);
        _nodes.Answer = (_, node, _) =>
        {
            if (node != cutOff)
            {
                return ScriptedNodes.Json(HttpStatusCode.OK, """{"message":"Updated successfully","replaced":true}""");
            }

            _excluded = cutOff; // the others decided it while it was cut off
            return ScriptedNodes.Json(HttpStatusCode.ServiceUnavailable,
                """{"error":"Node was excluded from the cluster while cut off and is starting over","message":"Error in PUT","view":"n1:1,n2:2,n3:3,n4:4","executed":false}""");
        };

        Assert.Equal(PutResult.Replaced, await _client.PutAsync(key, "v"));

        Assert.Equal([cutOff, Ring.ReplicasOf(key)[1]], _nodes.KeyRequests.Select(r => r.Node));
        Assert.Equal(2, _client.CurrentView!.Epoch);
        Assert.Equal("excluded", _client.CurrentView.MemberStates[cutOff]);
    }

    [Fact]
    public async Task A_replicated_write_its_replicas_did_not_acknowledge_in_time_is_not_repeated()
    {
        // The primary served it itself (no "address") and cannot say whether it will complete.
        _nodes.Answer = (_, _, _) => ScriptedNodes.Json(HttpStatusCode.ServiceUnavailable,
            """{"error":"Replicas did not acknowledge the write in time; its outcome is unknown","message":"Error in PUT"}""");

        var e = await Assert.ThrowsAsync<ShardedKvsOutcomeUnknownException>(() => _client.PutAsync("k", "v"));

        Assert.Equal(503, e.StatusCode);
        Assert.Single(_nodes.KeyRequests);
    }

    [Fact]
    public async Task A_read_after_a_failover_in_progress_is_retried_until_the_new_primary_serves()
    {
        int attempts = 0;
        _nodes.Answer = (_, _, _) => Interlocked.Increment(ref attempts) < 3
            ? ScriptedNodes.Json(HttpStatusCode.ServiceUnavailable, """{"error":"The key's new primary is still taking it over; try again","message":"Error in GET","executed":false}""")
            : ScriptedNodes.Json(HttpStatusCode.OK, """{"doesExist":true,"value":"v"}""");

        Assert.Equal("v", await _client.GetAsync("k"));
        Assert.Equal(3, attempts);
    }
}
