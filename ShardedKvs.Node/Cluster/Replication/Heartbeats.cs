using Microsoft.Extensions.Options;
using ShardedKvs.Node.Cluster.Membership;

namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>
/// Every <see cref="NodeOptions.HeartbeatInterval"/>, a live member heartbeats every other member of
/// its configuration over the lanes. An answer feeds the failure detector (<see cref="PeerLiveness"/>),
/// makes this node catch up when the peer runs a newer epoch, and renews the read lease the peer grants
/// (<see cref="LeaseBook"/>), counted from when the heartbeat was sent.
/// </summary>
public sealed class Heartbeats(
    ClusterState state,
    IReplicationTransport transport,
    PeerLiveness liveness,
    LeaseBook leases,
    PrimaryVersions versions,
    NewerEpochSignal newerEpoch,
    TimeProvider time,
    IOptions<NodeOptions> options) : BackgroundService
{
    private readonly NodeOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var beats = new List<Task>();
        while (!stoppingToken.IsCancellationRequested)
        {
            long started = time.GetTimestamp();
            if (state.Snapshot.Replica is { IsLive: true } replica)
            {
                foreach (Configuration.ConfigMember member in replica.Config.Members)
                {
                    if (!member.Excluded && !string.Equals(member.Address, replica.Self.Address, StringComparison.OrdinalIgnoreCase))
                    {
                        beats.Add(BeatAsync(member.Address, replica.Epoch));
                    }
                }

                await Task.WhenAll(beats);
                beats.Clear();
            }

            TimeSpan rest = _options.HeartbeatInterval - time.GetElapsedTime(started);
            if (rest > TimeSpan.Zero)
            {
                await Task.Delay(rest, time, stoppingToken);
            }
        }
    }

    private async Task BeatAsync(string peer, long epoch)
    {
        long sentAt = time.GetTimestamp();
        LeaseAnswer answer = await transport.HeartbeatAsync(peer, epoch, versions.Watermark, _options.HeartbeatInterval * 2);
        if (!answer.Answered)
        {
            return;
        }

        liveness.Heard(peer);
        if (answer.PeerEpoch > epoch)
        {
            newerEpoch.Saw(answer.PeerEpoch);
        }

        if (answer.Granted && answer.PeerEpoch == epoch)
        {
            leases.Granted(peer, sentAt);
        }
    }
}
