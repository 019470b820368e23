using ShardedKvs.Node.Cluster.Configuration;

namespace ShardedKvs.Node.Cluster.Consensus;

/// <summary>
/// The operator's way out when a majority of the voters is gone and nothing can be decided: the
/// exclusion of the dead voters is decided here, by this node alone, on its newest configuration
/// (<see cref="ConfigTransitions.ForceExclude"/> refuses while a majority lives), adopted, and told
/// to every member. The survivors are then the voters, and dead nodes restarted rejoin as new members.
/// </summary>
public sealed partial class ConfigLog
{
    public ProposeResult Force(IReadOnlyCollection<PlacedMember> dead)
    {
        ArgumentNullException.ThrowIfNull(dead);
        if (Latest is not { } basis)
        {
            return new ProposeResult(false, null, "No configuration has been decided yet");
        }

        ConfigDecision decision = ConfigTransitions.ForceExclude(basis, dead);
        if (decision.Next is not { } forced)
        {
            return new ProposeResult(false, basis, decision.Refusal);
        }

        if (!Learn(forced))
        {
            return new ProposeResult(false, Latest, "A newer configuration was decided meanwhile; try again");
        }

        LogForced(_logger, forced.Epoch, string.Join(", ", dead));
        _ = BroadcastAsync(forced);
        return new ProposeResult(true, forced);
    }

    [LoggerMessage(EventId = Telemetry.LogEvents.ConfigForced, Level = LogLevel.Warning, Message = "An operator forced epoch {Epoch}, excluding {Dead} without a majority")]
    private static partial void LogForced(ILogger logger, long epoch, string dead);
}
