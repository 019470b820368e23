namespace ShardedKvs.Linearizability;

/// <summary>What an operation reported. Which kinds are legal depends on the <see cref="OpKind"/>.</summary>
public enum OutputKind
{
    /// <summary>No output: the operation's outcome is <see cref="OpOutcome.Unknown"/>.</summary>
    None,

    /// <summary>Get: the key had no value.</summary>
    Absent,

    /// <summary>Get: the key had the value in <see cref="OpOutput.Value"/>.</summary>
    Present,

    /// <summary>Put: the key was absent before the write.</summary>
    Created,

    /// <summary>Put: the key had a value before the write.</summary>
    Replaced,

    /// <summary>Delete: the key had a value before the delete.</summary>
    Existed,

    /// <summary>Delete: the key had no value before the delete.</summary>
    NotExisted,

    /// <summary>
    /// Put or Delete: the write succeeded but the caller does not know whether the key existed
    /// before. The checker then applies the write without checking created/replaced or existed.
    /// </summary>
    Acknowledged,
}
