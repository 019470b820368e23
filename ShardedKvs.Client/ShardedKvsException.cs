namespace ShardedKvs.Client;

/// <summary>
/// A ShardedKvs call failed. Catch the subclasses to act on what the failure means:
/// <see cref="ShardedKvsUnavailableException"/> (nothing was executed, safe to retry later),
/// <see cref="ShardedKvsOutcomeUnknownException"/> (a write may or may not have happened) and
/// <see cref="ShardedKvsRequestRejectedException"/> (the request itself is wrong).
/// </summary>
public class ShardedKvsException : Exception
{
    public ShardedKvsException() { }

    public ShardedKvsException(string message) : base(message) { }

    public ShardedKvsException(string message, Exception? innerException) : base(message, innerException) { }

    /// <summary>The key of the call.</summary>
    public string? Key { get; init; }

    /// <summary>The last node the call reached or tried.</summary>
    public string? Node { get; init; }

    /// <summary>The HTTP status of the last answer, if there was one.</summary>
    public int? StatusCode { get; init; }
}
