using Microsoft.Extensions.Options;
using ShardedKvs.Node.Telemetry;

namespace ShardedKvs.Node.Cluster.Consensus;

/// <summary>
/// Asks the peers for newer decisions every <see cref="NodeOptions.ConfigCatchUpInterval"/> while the
/// node has a configuration, so a node that missed a broadcast (a partition, a dropped call) catches up
/// without waiting for the next proposal to carry it.
/// </summary>
public sealed partial class ConfigCatchUp(IConfigLog log, TimeProvider time, IOptions<NodeOptions> options, ILogger<ConfigCatchUp> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var ticks = new PeriodicTimer(options.Value.ConfigCatchUpInterval, time);
        try
        {
            while (await ticks.WaitForNextTickAsync(stoppingToken))
            {
                if (log.Latest is null)
                {
                    continue; // before formation decides epoch 1 there is nothing to catch up with
                }

                try
                {
                    await log.CatchUpAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogCatchUpFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = LogEvents.ConfigCatchUpFailed, Level = LogLevel.Warning, Message = "Catching up with the configuration log failed")]
    private static partial void LogCatchUpFailed(ILogger logger, Exception exception);
}
