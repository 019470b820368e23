using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ShardedKvs.Client;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Client;

/// <summary>builder.AddShardedKvsClient("kvs"): configuration binding, keyed clients, health check and switches.</summary>
public sealed class AspireClientIntegrationTests : IClassFixture<AspireClientIntegrationTests.OneNode>
{
    private readonly TestCluster _cluster;

    public AspireClientIntegrationTests(OneNode fixture) => _cluster = fixture.Cluster;

    [Fact]
    public async Task The_connection_string_is_enough_to_reach_the_cluster_and_pass_the_health_check()
    {
        HostApplicationBuilder builder = NewBuilder(new() { ["ConnectionStrings:kvs"] = $"Endpoints={_cluster[0].Address}" });
        builder.AddShardedKvsClient("kvs");
        using IHost host = builder.Build();

        var client = host.Services.GetRequiredService<ShardedKvsClient>();
        Assert.Equal(PutResult.Created, await client.PutAsync($"aspire-{Guid.NewGuid():N}"[..20], "v"));
        HealthReport health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Healthy, health.Entries["ShardedKvs"].Status);
    }

    [Fact]
    public async Task The_health_check_is_unhealthy_when_no_node_answers()
    {
        HostApplicationBuilder builder = NewBuilder(new() { ["ConnectionStrings:kvs"] = $"Endpoints=127.0.0.1:{FreePorts.Take(1).Single()}" });
        builder.AddShardedKvsClient("kvs");
        using IHost host = builder.Build();

        HealthReport health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Equal(HealthStatus.Unhealthy, health.Entries["ShardedKvs"].Status);
    }

    [Fact]
    public void The_settings_section_binds_client_options_and_switches_turn_features_off()
    {
        HostApplicationBuilder builder = NewBuilder(new()
        {
            ["Aspire:ShardedKvs:Client:Endpoints:0"] = "h1:1",
            ["Aspire:ShardedKvs:Client:MaxAttempts"] = "2",
            ["Aspire:ShardedKvs:Client:DisableHealthChecks"] = "true",
        });
        builder.AddShardedKvsClient("kvs");
        using IHost host = builder.Build();

        Assert.NotNull(host.Services.GetRequiredService<ShardedKvsClient>());
        Assert.DoesNotContain(host.Services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations, r => r.Name.StartsWith("ShardedKvs", StringComparison.Ordinal));
    }

    [Fact]
    public void Keyed_clients_each_get_their_own_connection_string()
    {
        HostApplicationBuilder builder = NewBuilder(new()
        {
            ["ConnectionStrings:orders"] = "Endpoints=h1:1",
            ["ConnectionStrings:users"] = "Endpoints=h2:2,h3:3",
        });
        builder.AddKeyedShardedKvsClient("orders");
        builder.AddKeyedShardedKvsClient("users");
        using IHost host = builder.Build();

        Assert.NotSame(host.Services.GetRequiredKeyedService<ShardedKvsClient>("orders"), host.Services.GetRequiredKeyedService<ShardedKvsClient>("users"));
        var checks = host.Services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations.Select(r => r.Name);
        Assert.Contains("ShardedKvs_orders", checks);
        Assert.Contains("ShardedKvs_users", checks);
    }

    [Fact]
    public void Without_a_connection_string_or_endpoints_it_says_what_to_set()
    {
        HostApplicationBuilder builder = NewBuilder([]);

        var e = Assert.Throws<InvalidOperationException>(() => builder.AddShardedKvsClient("kvs"));
        Assert.Contains("ConnectionStrings:kvs", e.Message, StringComparison.Ordinal);
    }

    private static HostApplicationBuilder NewBuilder(Dictionary<string, string?> settings)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        return builder;
    }

    public sealed class OneNode : ShardedKvs.Tests.Api.ClusterFixture
    {
        protected override int Nodes => 1;
    }
}
