using Microsoft.Extensions.DependencyInjection;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Replication.Fill;

namespace ShardedKvs.Tests.Infrastructure;

/// <summary>A node's real fill transport behind a gate the test releases: every batch waits for it
/// before it goes on its lane.</summary>
public sealed class HeldFills(IFillTransport inner, Task gate) : IFillTransport
{
    /// <summary>Registered before the node's own services, so the node sends its fills through this.</summary>
    public static void InstallOn(IServiceCollection services, Task gate) =>
        services.AddSingleton<IFillTransport>(sp => new HeldFills(ActivatorUtilities.CreateInstance<LaneFillTransport>(sp), gate));

    /// <summary>In-process nodes at R = 3, the first <paramref name="initialViewSize"/> in the view, whose
    /// fill batches all wait for <paramref name="gate"/>.</summary>
    public static Task<TestCluster> StartClusterAsync(Task gate, int nodes, int initialViewSize) =>
        TestCluster.StartAsync(
            nodes: nodes,
            initialViewSize: initialViewSize,
            settings: new Dictionary<string, string?> { ["Kvs:ReplicationFactor"] = "3" },
            configure: (_, builder) => InstallOn(builder.Services, gate));

    public async Task<FillAnswer> SendAsync(PlacedMember learner, long fillEpoch, FillBatch batch, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        return await inner.SendAsync(learner, fillEpoch, batch, cancellationToken);
    }
}
