using ShardedKvs.Node.Cluster.Peers;

namespace ShardedKvs.Node.Cluster.ViewChange;

/// <summary>How this node took one step of a view change a coordinator asked of it (see
/// <see cref="ViewChangeParticipant"/>); the internal API turns it into the answer.</summary>
public sealed record StepOutcome(StepStatus Status, string? Error = null)
{
    public static StepOutcome Done { get; } = new(StepStatus.Done);

    /// <summary>What a source moved, when the step was a migration.</summary>
    public MigrateResult? Migrated { get; init; }

    public static StepOutcome Invalid(string error) => new(StepStatus.Invalid, error);

    public static StepOutcome Conflict(string error) => new(StepStatus.Conflict, error);

    public static StepOutcome Unavailable(string error) => new(StepStatus.Unavailable, error);
}
