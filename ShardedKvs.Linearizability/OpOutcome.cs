namespace ShardedKvs.Linearizability;

/// <summary>Whether the client saw the operation's response.</summary>
public enum OpOutcome
{
    /// <summary>A response was observed; the operation took effect between its call and its return.</summary>
    Ok,

    /// <summary>
    /// Timeout or connection error: the operation may have taken effect at any time after its call,
    /// or never. Its return time is +infinity. Unknown gets carry no information and are dropped.
    /// </summary>
    Unknown,
}
