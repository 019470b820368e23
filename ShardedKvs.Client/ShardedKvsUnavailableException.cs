namespace ShardedKvs.Client;

/// <summary>
/// The call was not executed: every attempt failed in a way that shows the store did not apply it
/// (node forming or outside the view, key moving, node unreachable before the request was sent),
/// or it was a read. Retrying later is safe.
/// </summary>
public sealed class ShardedKvsUnavailableException : ShardedKvsException
{
    public ShardedKvsUnavailableException() { }

    public ShardedKvsUnavailableException(string message) : base(message) { }

    public ShardedKvsUnavailableException(string message, Exception? innerException) : base(message, innerException) { }
}
