namespace ShardedKvs.Linearizability;

/// <summary>
/// Groups of interchangeable unknown-outcome ops: within a group every op has the same effect and
/// no output or return time, so once called any one can stand in for any other.
/// </summary>
internal enum OpClass
{
    /// <summary>An op with its own identity: any ok op, or an unknown put of a value some get read.</summary>
    Distinct,

    /// <summary>An unknown put of a value no get read: all write the same state.</summary>
    UnreadUnknownPut,

    /// <summary>An unknown delete.</summary>
    UnknownDelete,

    /// <summary>Either group in a relaxed search, where they may be reused and are not counted.</summary>
    Reusable,
}
