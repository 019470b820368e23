using System.Net;
using Microsoft.Extensions.Time.Testing;
using ShardedKvs.Client;
using ShardedKvs.Ring;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Client;

/// <summary>The client's routing and retry rules against scripted node answers (no network).</summary>
public sealed class ClientRetryTests : IDisposable
{
    private readonly ScriptedNodes _nodes = new();
    private readonly ShardedKvsClient _client;

    public ClientRetryTests()
    {
        var options = new ShardedKvsClientOptions { MaxAttempts = 4, RetryDelay = TimeSpan.FromMilliseconds(1), MaxRetryDelay = TimeSpan.FromMilliseconds(2) };
        options.Endpoints.Add("n1:1");
        _client = new ShardedKvsClient(options, _nodes);
    }

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task Each_key_goes_to_its_owner_on_the_ring_of_the_fetched_view()
    {
        var ring = new TokenRing(["n1:1", "n2:2", "n3:3"], tokensPerNode: 16);
        string[] keys = [.. Enumerable.Range(0, 60).Select(i => $"key-{i}")];
        foreach (string key in keys)
        {
            await _client.GetAsync(key);
        }

        Assert.Equal(keys.Select(ring.OwnerOf), _nodes.KeyRequests.Select(r => r.Node));
        Assert.Equal(3, _nodes.KeyRequests.Select(r => r.Node).Distinct().Count());
        Assert.Equal(1, _nodes.ViewRequests); // fetched once, from the one seed
    }

    [Fact]
    public async Task Results_keep_the_contracts_meaning()
    {
        _nodes.Answer = (method, _, key) => (method.Method, key) switch
        {
            ("PUT", "new") => ScriptedNodes.Json(HttpStatusCode.Created, """{"message":"Added successfully","replaced":false}"""),
            ("PUT", _) => ScriptedNodes.Json(HttpStatusCode.OK, """{"message":"Updated successfully","replaced":true}"""),
            ("GET", "there") => ScriptedNodes.Json(HttpStatusCode.OK, """{"doesExist":true,"message":"Retrieved successfully","value":"héllo"}"""),
            ("DELETE", "there") => ScriptedNodes.Json(HttpStatusCode.OK, """{"doesExist":true,"message":"Deleted successfully"}"""),
            _ => ScriptedNodes.Json(HttpStatusCode.NotFound, """{"doesExist":false,"error":"Key does not exist","message":"Error"}"""),
        };

        Assert.Equal(PutResult.Created, await _client.PutAsync("new", "v"));
        Assert.Equal(PutResult.Replaced, await _client.PutAsync("old", "v"));
        Assert.Equal("héllo", await _client.GetAsync("there"));
        Assert.Null(await _client.GetAsync("missing"));
        Assert.True(await _client.DeleteAsync("there"));
        Assert.False(await _client.DeleteAsync("missing"));
    }

    [Fact]
    public async Task A_write_refused_with_the_view_is_retried_after_fetching_the_view_again()
    {
        int puts = 0;
        _nodes.Answer = (_, _, _) => Interlocked.Increment(ref puts) == 1
            ? ScriptedNodes.Json(HttpStatusCode.ServiceUnavailable, """{"error":"Node is not in the view","message":"Error in PUT","view":"n1:1,n2:2,n3:3","executed":false}""")
            : ScriptedNodes.Json(HttpStatusCode.Created, """{"message":"Added successfully","replaced":false}""");

        Assert.Equal(PutResult.Created, await _client.PutAsync("k", "v"));
        Assert.Equal(2, puts);
        Assert.Equal(1 + 3, _nodes.ViewRequests); // the seed first, then every member of the view
    }

    [Fact]
    public async Task A_write_refused_while_its_key_moves_is_retried()
    {
        int puts = 0;
        _nodes.Answer = (_, _, _) => Interlocked.Increment(ref puts) <= 2
            ? ScriptedNodes.Json(HttpStatusCode.ServiceUnavailable, """{"error":"Key is being moved to another node; try again","message":"Error in PUT","executed":false}""")
            : ScriptedNodes.Json(HttpStatusCode.OK, """{"message":"Updated successfully","replaced":true}""");

        Assert.Equal(PutResult.Replaced, await _client.PutAsync("k", "v"));
        Assert.Equal(3, puts);
    }

    [Fact]
    public async Task A_write_whose_forward_failed_is_not_repeated_and_reports_an_unknown_outcome()
    {
        _nodes.Answer = (_, _, _) => ScriptedNodes.Json(HttpStatusCode.ServiceUnavailable,
            """{"error":"Owner n3:3 is unreachable","message":"Error in PUT","address":"n3:3"}""");

        var e = await Assert.ThrowsAsync<ShardedKvsOutcomeUnknownException>(() => _client.PutAsync("k", "v"));
        Assert.Equal(503, e.StatusCode);
        Assert.Single(_nodes.KeyRequests);
    }

    // The owner answered that it cannot serve the key (its keys are unavailable): the node says so
    // with "executed": false, so the write may be sent again even though an owner is named.
    [Fact]
    public async Task A_write_that_an_owner_refused_without_executing_is_retried()
    {
        int puts = 0;
        _nodes.Answer = (_, _, _) => Interlocked.Increment(ref puts) == 1
            ? ScriptedNodes.Json(HttpStatusCode.ServiceUnavailable,
                """{"error":"Keys of n3:3 are unavailable","message":"Error in PUT","executed":false,"address":"n3:3"}""")
            : ScriptedNodes.Json(HttpStatusCode.Created, """{"message":"Added successfully","replaced":false}""");

        Assert.Equal(PutResult.Created, await _client.PutAsync("k", "v"));
        Assert.Equal(2, puts);
    }

    [Fact]
    public async Task A_delete_whose_connection_broke_after_sending_is_not_repeated()
    {
        _nodes.Answer = (_, _, _) => throw new HttpRequestException(HttpRequestError.ResponseEnded, "The response ended prematurely.");

        await Assert.ThrowsAsync<ShardedKvsOutcomeUnknownException>(() => _client.DeleteAsync("k"));
        Assert.Single(_nodes.KeyRequests);
    }

    [Fact]
    public async Task A_write_whose_connection_never_opened_is_retried()
    {
        int attempts = 0;
        _nodes.Answer = (_, _, _) => Interlocked.Increment(ref attempts) == 1
            ? throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused")
            : ScriptedNodes.Json(HttpStatusCode.Created, """{"message":"Added successfully","replaced":false}""");

        Assert.Equal(PutResult.Created, await _client.PutAsync("k", "v"));
        Assert.Equal(2, attempts);
    }

    [Fact]
    public async Task A_read_is_retried_after_a_lost_answer()
    {
        int attempts = 0;
        _nodes.Answer = (_, _, _) => Interlocked.Increment(ref attempts) == 1
            ? throw new HttpRequestException(HttpRequestError.ResponseEnded, "The response ended prematurely.")
            : ScriptedNodes.Json(HttpStatusCode.OK, """{"doesExist":true,"value":"v"}""");

        Assert.Equal("v", await _client.GetAsync("k"));
        Assert.Equal(2, attempts);
    }

    [Fact]
    public async Task When_every_attempt_is_refused_the_call_is_unavailable_after_the_attempt_limit()
    {
        _nodes.Answer = (_, _, _) => ScriptedNodes.Json(HttpStatusCode.ServiceUnavailable,
            """{"error":"Cluster is forming","message":"Error in PUT","view":"n1:1,n2:2,n3:3","executed":false}""");

        var e = await Assert.ThrowsAsync<ShardedKvsUnavailableException>(() => _client.PutAsync("k", "v"));
        Assert.Equal(4, _nodes.KeyRequests.Count());
        Assert.Contains("forming", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_request_is_rejected_at_once_with_the_nodes_error()
    {
        _nodes.Answer = (_, _, _) => ScriptedNodes.Json(HttpStatusCode.BadRequest, """{"error":"Key is too long","message":"Error in PUT"}""");

        var e = await Assert.ThrowsAsync<ShardedKvsRequestRejectedException>(() => _client.PutAsync(new string('k', 51), "v"));
        Assert.Equal("Key is too long", e.Error);
        Assert.Single(_nodes.KeyRequests);
    }

    [Fact]
    public async Task An_answer_naming_another_owner_makes_the_client_adopt_the_newer_view()
    {
        await _client.GetAsync("warm-up");
        Assert.Equal(1, _client.CurrentView!.Epoch);

        _nodes.View = (2, "n1:1,n2:2,n3:3,n4:4");
        _nodes.Answer = (_, _, _) => ScriptedNodes.Json(HttpStatusCode.OK, """{"doesExist":true,"value":"v","address":"n4:4"}""");
        await _client.GetAsync("k");

        ShardedKvsView view = await WaitForEpochAsync(2);
        Assert.Equal(["n1:1", "n2:2", "n3:3", "n4:4"], view.Nodes);
    }

    [Fact]
    public async Task An_older_view_is_never_adopted()
    {
        var time = new FakeTimeProvider();
        var options = new ShardedKvsClientOptions();
        options.Endpoints.Add("n1:1");
        using var client = new ShardedKvsClient(options, _nodes, time);
        _nodes.View = (5, "n1:1,n2:2");
        await client.GetAsync("warm-up");

        _nodes.View = (4, "n1:1,n2:2,n3:3");
        time.Advance(TimeSpan.FromSeconds(1)); // past the refresh rate limit
        ShardedKvsView? view = await client.FetchViewAsync();

        Assert.Equal(3, _nodes.ViewRequests); // one seed, then both members of epoch 5 were asked
        Assert.Equal(5, view!.Epoch);
        Assert.Equal(["n1:1", "n2:2"], view.Nodes);
    }

    private async Task<ShardedKvsView> WaitForEpochAsync(long epoch)
    {
        // The refresh an answer triggers runs in the background; wait for it with a deadline.
        await Eventually.WaitUntilAsync(
            () => Task.FromResult(_client.CurrentView is { } view && view.Epoch >= epoch),
            TimeSpan.FromSeconds(10),
            $"the client to adopt epoch {epoch}");
        return _client.CurrentView!;
    }
}
