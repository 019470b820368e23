namespace ShardedKvs.Client;

/// <summary>
/// The node refused the request as it is (a 4xx such as "Key is too long" or a body over the node's
/// limit). Nothing was changed; sending the same request again gets the same answer.
/// </summary>
public sealed class ShardedKvsRequestRejectedException : ShardedKvsException
{
    public ShardedKvsRequestRejectedException() { }

    public ShardedKvsRequestRejectedException(string message) : base(message) { }

    public ShardedKvsRequestRejectedException(string message, Exception? innerException) : base(message, innerException) { }

    /// <summary>The node's "error" field.</summary>
    public string? Error { get; init; }
}
