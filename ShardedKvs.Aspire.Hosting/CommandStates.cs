namespace ShardedKvs.Aspire.Hosting;

/// <summary>When the node commands may be pressed in the dashboard.</summary>
internal static class CommandStates
{
    /// <summary>Enabled while the node's process runs: a command that talks to a stopped node can only fail.</summary>
    public static ResourceCommandState EnabledWhenRunning(UpdateCommandStateContext context) =>
        context.ResourceSnapshot.State?.Text == KnownResourceStates.Running
            ? ResourceCommandState.Enabled
            : ResourceCommandState.Disabled;
}
