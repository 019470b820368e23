namespace ShardedKvs.Node.Cluster.Requests;

/// <summary>The result of a key request wherever it was served. <see cref="Owner"/> is set when
/// another node served it; <see cref="Error"/> explains the failure kinds.</summary>
public readonly record struct KeyOutcome(OutcomeKind Kind, ReadOnlyMemory<byte> Value = default, string? Owner = null, string? Error = null)
{
    public static KeyOutcome Found(ReadOnlyMemory<byte> value) => new(OutcomeKind.Found, value);

    public static KeyOutcome Deleted { get; } = new(OutcomeKind.Found);

    public static KeyOutcome NotFound { get; } = new(OutcomeKind.NotFound);

    public static KeyOutcome Created { get; } = new(OutcomeKind.Created);

    public static KeyOutcome Replaced { get; } = new(OutcomeKind.Replaced);

    public bool IsSuccess => Kind is OutcomeKind.Found or OutcomeKind.NotFound or OutcomeKind.Created or OutcomeKind.Replaced;

    /// <summary>An <see cref="OutcomeKind.OwnerUnreachable"/> for a request that never left this node
    /// (no lane to the owner could be opened): it was not executed anywhere.</summary>
    public bool NeverSent { get; init; }

    /// <summary>A failure that proves the request was not executed anywhere (a client may safely send
    /// a write again); only an <see cref="OutcomeKind.OwnerUnreachable"/> that was sent leaves the outcome unknown.</summary>
    public bool WasNotExecuted => Kind is OutcomeKind.NotServing or OutcomeKind.OwnerUnavailable or OutcomeKind.KeyBusy || NeverSent;
}
