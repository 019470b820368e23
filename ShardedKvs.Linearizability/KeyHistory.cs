namespace ShardedKvs.Linearizability;

/// <summary>
/// One key's sub-history, compiled for the search. Unknown gets are already removed. Values some
/// get read are interned to ids 0..n-1; all values no get read share the id <see cref="UnreadValue"/>,
/// since no operation can tell them apart.
/// </summary>
internal sealed class KeyHistory
{
    private KeyHistory(string key, Operation[] operations, int[] globalIndices, RegisterOp[] ops, int unreadValue)
    {
        Key = key;
        Operations = operations;
        GlobalIndices = globalIndices;
        Ops = ops;
        UnreadValue = unreadValue;
        TimeOrigin = operations.Length == 0 ? 0 : operations.Min(o => o.CallTime);
    }

    public string Key { get; }

    /// <summary>The key's operations; index i here is op i of the search.</summary>
    public Operation[] Operations { get; }

    /// <summary>Index of each operation in the history passed to the checker.</summary>
    public int[] GlobalIndices { get; }

    public RegisterOp[] Ops { get; }

    /// <summary>The state id shared by every value no get read.</summary>
    public int UnreadValue { get; }

    /// <summary>Earliest call time, used to print small relative times.</summary>
    public long TimeOrigin { get; }

    public static KeyHistory Build(string key, IReadOnlyList<Operation> history, List<int> indices)
    {
        var operations = new Operation[indices.Count];
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < indices.Count; i++)
        {
            operations[i] = history[indices[i]];
            if (operations[i].Output.Kind == OutputKind.Present)
            {
                ids.TryAdd(operations[i].Output.Value!, ids.Count);
            }
        }

        int unread = ids.Count;
        var ops = new RegisterOp[operations.Length];
        for (int i = 0; i < operations.Length; i++)
        {
            ops[i] = RegisterModel.Compile(operations[i], value => ids.TryGetValue(value, out int id) ? id : unread);
        }

        return new KeyHistory(key, operations, [.. indices], ops, unread);
    }

    /// <summary>Which group of interchangeable ops <paramref name="op"/> belongs to.</summary>
    public OpClass ClassOf(int op) => !Ops[op].IsUnknown ? OpClass.Distinct
        : Ops[op].Write == RegisterModel.Absent ? OpClass.UnknownDelete
        : Ops[op].Write == UnreadValue ? OpClass.UnreadUnknownPut
        : OpClass.Distinct;

    /// <summary>Formats op <paramref name="op"/> for explanations, numbered by its index in the checked history.</summary>
    public string Describe(int op) => $"#{GlobalIndices[op]} {Operations[op].Describe(TimeOrigin)}";
}
