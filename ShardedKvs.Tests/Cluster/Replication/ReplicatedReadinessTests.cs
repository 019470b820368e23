using System.Collections.Immutable;
using System.Net;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using ShardedKvs.Node;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.ServiceDefaults;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Cluster.Replication;

/// <summary>
/// Readiness in replicated mode, what a scheduler or load balancer reads: /health answers 200 only
/// for a member that holds complete copies, and 503 for a learner being filled, a restarted process
/// asking to rejoin, and a process the others excluded, so no client (and no rolling update or
/// disruption budget) treats such a node as a replica.
/// </summary>
public sealed class ReplicatedReadinessTests
{
    private const string Self = "10.0.0.1:13800";
    private const long Incarnation = 7;
    private static readonly ImmutableArray<string> Others = ["10.0.0.2:13800", "10.0.0.3:13800"];

    [Fact]
    public async Task An_in_sync_member_is_ready()
    {
        HealthCheckResult health = await HealthWith(Config(self: new ConfigMember(Self, Incarnation), selfPlaced: true));

        Assert.Equal(HealthStatus.Healthy, health.Status);
        Assert.Equal(200, StatusCodes(health.Status));
    }

    [Fact]
    public async Task A_learner_being_filled_is_not_ready()
    {
        HealthCheckResult health = await HealthWith(Config(self: new ConfigMember(Self, Incarnation), selfPlaced: false));

        Assert.Equal(503, StatusCodes(health.Status));
        Assert.StartsWith("learner", health.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_restarted_process_the_configuration_does_not_name_yet_is_not_ready()
    {
        HealthCheckResult health = await HealthWith(Config(self: new ConfigMember(Self, Incarnation - 1), selfPlaced: true));

        Assert.Equal(503, StatusCodes(health.Status));
        Assert.StartsWith("joining", health.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_excluded_process_is_not_ready()
    {
        HealthCheckResult health = await HealthWith(Config(self: new ConfigMember(Self, Incarnation, Excluded: true), selfPlaced: true));

        Assert.Equal(503, StatusCodes(health.Status));
        Assert.StartsWith("excluded", health.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_the_view_left_out_is_not_ready()
    {
        var config = new ClusterConfig(4, 3, Others, [.. Others.Select((a, i) => new ConfigMember(a, i + 1))], [.. Others.Select((a, i) => new PlacedMember(a, i + 1))]);
        HealthCheckResult health = await HealthWith(config);

        Assert.Equal(503, StatusCodes(health.Status));
        Assert.StartsWith("idle", health.Description, StringComparison.Ordinal);
    }

    /// <summary>
    /// Over HTTP with real nodes: a node added by a view change answers /health 503 ("learner") for
    /// as long as its fill is held back (a gate on the fill batches), and 200 once it was filled
    /// and the placement switched.
    /// </summary>
    [Fact]
    public async Task A_node_added_by_a_view_change_is_not_ready_until_its_fill_is_done()
    {
        var fillGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TestCluster cluster = await HeldFills.StartClusterAsync(fillGate.Task, nodes: 4, initialViewSize: 3);
        for (int i = 0; i < 30; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await cluster[i % 3].Client.PutAsync($"key{i}", $"value{i}")).Status);
        }

        Task<KvsResponse> change = cluster[0].Client.ChangeViewAsync(cluster.ViewOf(0, 1, 2, 3));
        (int Status, string Body) learner = await Eventually.Until(
            "the added node to answer /health as a learner",
            TimeSpan.FromSeconds(30),
            _ => HealthAsync(cluster[3].Client),
            health => health.Body.Contains("learner", StringComparison.Ordinal));
        Assert.Equal(503, learner.Status);
        Assert.Equal("learner", MemberState(await cluster[0].Client.SendAsync(HttpMethod.Get, "/kvs/view"), cluster[3].Address));
        Assert.False(change.IsCompleted, "the view change answered before the new node was filled");

        fillGate.SetResult();
        KvsResponse changed = await change;
        Assert.Equal(HttpStatusCode.OK, changed.Status);
        await Eventually.Until("the filled node to be ready", TimeSpan.FromSeconds(30), _ => HealthAsync(cluster[3].Client), health => health.Status == 200);
        Assert.Equal("serving", MemberState(await cluster[0].Client.SendAsync(HttpMethod.Get, "/kvs/view"), cluster[3].Address));
    }

    private static ClusterConfig Config(ConfigMember self, bool selfPlaced)
    {
        ImmutableArray<string> view = [Self, .. Others];
        ImmutableArray<ConfigMember> members = [self, .. Others.Select((a, i) => new ConfigMember(a, i + 1))];
        ImmutableArray<PlacedMember> placement = [.. members.Where(m => selfPlaced || m.Address != Self).Select(m => m.Placed)];
        return new ClusterConfig(5, 3, view, members, placement);
    }

    private static Task<HealthCheckResult> HealthWith(ClusterConfig config)
    {
        var state = new ClusterState(Self, [Self, .. Others], tokensPerNode: 16);
        state.AdoptConfig(config, new PlacedMember(Self, Incarnation));
        return new NodeHealthCheck(state).CheckHealthAsync(new HealthCheckContext());
    }

    private static int StatusCodes(HealthStatus status) => HealthEndpoints.ReadinessStatusCodes[status];

    private static async Task<(int Status, string Body)> HealthAsync(HttpClient client)
    {
        using HttpResponseMessage response = await client.GetAsync(HealthEndpoints.HealthPath);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string? MemberState(KvsResponse view, string address) =>
        view.Body["members"]?.AsArray().FirstOrDefault(m => m!["address"]!.GetValue<string>() == address)?["state"]?.GetValue<string>();
}
