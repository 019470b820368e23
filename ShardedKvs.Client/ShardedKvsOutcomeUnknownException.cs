namespace ShardedKvs.Client;

/// <summary>
/// A write (PUT or DELETE) was sent but no answer says whether it was applied: the node timed out,
/// the connection broke after the request left, or the node could not reach the key's owner after
/// forwarding. The client does not repeat it on its own; read the key to find out, or repeat it
/// yourself if applying it twice is fine for you.
/// </summary>
public sealed class ShardedKvsOutcomeUnknownException : ShardedKvsException
{
    public ShardedKvsOutcomeUnknownException() { }

    public ShardedKvsOutcomeUnknownException(string message) : base(message) { }

    public ShardedKvsOutcomeUnknownException(string message, Exception? innerException) : base(message, innerException) { }
}
