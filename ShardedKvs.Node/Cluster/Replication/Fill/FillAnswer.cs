namespace ShardedKvs.Node.Cluster.Replication.Fill;

/// <summary>How a learner answered one fill batch, or what the source concluded when no answer came.</summary>
public enum FillAnswerKind : byte
{
    /// <summary>The learner checked the batch and applied it (see <see cref="FillAnswer.Applied"/>).</summary>
    Applied,

    /// <summary>The learner has not learned of the fill yet; it catches up, the source sends again.</summary>
    NotYetLearned,

    /// <summary>A newer fill replaced this one on the learner: the copy is of no use any more.</summary>
    Superseded,

    /// <summary>The learner refused the batch as malformed; it applied nothing.</summary>
    Rejected,

    /// <summary>Nothing listens on the learner's port (concluded by the source, never sent).</summary>
    Down,

    /// <summary>The lane could not be opened or closed before the answer came (concluded by the source).</summary>
    Unreachable,

    /// <summary>No answer within the deadline (concluded by the source).</summary>
    TimedOut,
}

/// <summary>A learner's answer to a batch: how many keys it stored and how many it skipped (it held a
/// newer version, or saw the key deleted since), or why it applied none.</summary>
/// <remarks>A class, unlike the lanes' other answers: one per batch costs nothing, and the tasks and
/// awaiters that carry it then share the runtime's precompiled code for reference types, where a struct
/// would have each of them compiled for it during a node's first fill, under client load.</remarks>
public sealed record FillAnswer(FillAnswerKind Kind, int Applied = 0, int Skipped = 0, string? Error = null)
{
    /// <summary>The last of the kinds a learner sends; the rest only a source concludes.</summary>
    public const FillAnswerKind LastSent = FillAnswerKind.Rejected;

    public bool Acknowledged => Kind == FillAnswerKind.Applied;

    /// <summary>Worth sending again: the learner may take the batch later.</summary>
    public bool Retryable => Kind is FillAnswerKind.NotYetLearned or FillAnswerKind.Unreachable or FillAnswerKind.TimedOut or FillAnswerKind.Down;

    public override string ToString() => Error ?? Kind.ToString();
}
