namespace ShardedKvs.Client.Transport;

/// <summary>How one attempt ended.</summary>
internal enum AttemptKind
{
    /// <summary>The node answered the operation (200, 201, or 404 "Key does not exist").</summary>
    Answered,

    /// <summary>The node refused the request as malformed or too large (4xx): nothing changed, do not retry.</summary>
    Rejected,

    /// <summary>No answer to the operation; <see cref="AttemptResult.Failure"/> says what that means.</summary>
    Failed,
}
