namespace ShardedKvs.Linearizability;

/// <summary>
/// Sequential specification of one key: the state is a value or absent. Get must return the state;
/// put makes it the input (reporting created iff it was absent); delete makes it absent (reporting
/// existed iff it was present). Acknowledged writes and unknown-outcome writes are not checked.
/// </summary>
internal static class RegisterModel
{
    public const int Absent = -1;
    public const int AnyValue = -2;
    public const int NoCheck = -3;
    public const int Keep = -2;

    public static RegisterOp Compile(Operation op, Func<string, int> intern)
    {
        bool unknown = op.Outcome == OpOutcome.Unknown;
        return op.Kind switch
        {
            OpKind.Get => new RegisterOp(ExpectOf(op.Output, intern), Keep, unknown),
            OpKind.Put => new RegisterOp(ExpectOf(op.Output, intern), intern(op.Input!), unknown),
            _ => new RegisterOp(ExpectOf(op.Output, intern), Absent, unknown),
        };
    }

    /// <summary>Applies <paramref name="op"/> to <paramref name="state"/>; false if its output contradicts the state.</summary>
    public static bool Step(int state, in RegisterOp op, out int next)
    {
        next = op.Write == Keep ? state : op.Write;
        return op.Expect == state || op.Expect == NoCheck || (op.Expect == AnyValue && state != Absent);
    }

    /// <summary>The same specification over real values (null = absent), for explanations.</summary>
    public static string? Apply(Operation op, ref string? value)
    {
        string? before = value;
        value = op.Kind switch
        {
            OpKind.Put => op.Input,
            OpKind.Delete => null,
            _ => value,
        };
        string holds = before is null ? "the register is absent" : $"the register holds {OpOutput.Quote(before)}";
        return op.Output.Kind switch
        {
            OutputKind.Absent when before is not null => $"it saw absent but {holds}",
            OutputKind.Present when before != op.Output.Value => $"it saw {op.Output} but {holds}",
            OutputKind.Created when before is not null => $"it reported created but {holds}",
            OutputKind.Replaced when before is null => $"it reported replaced but {holds}",
            OutputKind.Existed when before is null => $"it reported existed but {holds}",
            OutputKind.NotExisted when before is not null => $"it reported not-existed but {holds}",
            _ => null,
        };
    }

    private static int ExpectOf(OpOutput output, Func<string, int> intern) => output.Kind switch
    {
        OutputKind.Absent or OutputKind.Created or OutputKind.NotExisted => Absent,
        OutputKind.Present => intern(output.Value!),
        OutputKind.Replaced or OutputKind.Existed => AnyValue,
        _ => NoCheck,
    };
}
