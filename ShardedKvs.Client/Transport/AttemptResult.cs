using ShardedKvs.Client.Retries;

namespace ShardedKvs.Client.Transport;

/// <summary>The result of sending one request to one node.</summary>
internal readonly record struct AttemptResult(
    AttemptKind Kind,
    string Node,
    int? Status = null,
    KeyAnswer? Answer = null,
    AttemptFailure Failure = AttemptFailure.NoAnswer,
    Exception? Error = null)
{
    /// <summary>True when the answer shows the client's view is stale (another node owns the key, or the node named its view).</summary>
    public bool ShowsStaleView => Answer is { Address: not null } or { View: not null };

    /// <summary>What the node said, or why there was no answer, for exception messages.</summary>
    public string Describe() => Answer?.Error is { } error
        ? $"{Node} answered {Status}: {error}"
        : Error is not null ? $"{Node}: {Error.Message}" : $"{Node} answered {Status}";
}
