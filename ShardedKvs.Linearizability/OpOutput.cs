namespace ShardedKvs.Linearizability;

/// <summary>An operation's reported result; <see cref="Value"/> is set only for <see cref="OutputKind.Present"/>.</summary>
public readonly record struct OpOutput
{
    private OpOutput(OutputKind kind, string? value)
    {
        Kind = kind;
        Value = value;
    }

    public OutputKind Kind { get; }

    public string? Value { get; }

    /// <summary>No output (unknown outcome).</summary>
    public static OpOutput None => default;

    /// <summary>Get saw no value.</summary>
    public static OpOutput Absent => new(OutputKind.Absent, null);

    /// <summary>Put found the key absent.</summary>
    public static OpOutput Created => new(OutputKind.Created, null);

    /// <summary>Put found the key present.</summary>
    public static OpOutput Replaced => new(OutputKind.Replaced, null);

    /// <summary>Delete found the key present.</summary>
    public static OpOutput Existed => new(OutputKind.Existed, null);

    /// <summary>Delete found the key absent.</summary>
    public static OpOutput NotExisted => new(OutputKind.NotExisted, null);

    /// <summary>Put or Delete succeeded; whether the key existed before is not checked.</summary>
    public static OpOutput Acknowledged => new(OutputKind.Acknowledged, null);

    /// <summary>Get saw <paramref name="value"/>.</summary>
    public static OpOutput Present(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new OpOutput(OutputKind.Present, value);
    }

    /// <summary>Get saw <paramref name="value"/>, or absent when it is null.</summary>
    public static OpOutput Read(string? value) => value is null ? Absent : Present(value);

    /// <summary>Put result from a created flag (true: created, false: replaced).</summary>
    public static OpOutput Written(bool created) => created ? Created : Replaced;

    /// <summary>Delete result from an existed flag.</summary>
    public static OpOutput Deleted(bool existed) => existed ? Existed : NotExisted;

    public override string ToString() => Kind switch
    {
        OutputKind.None => "?",
        OutputKind.Absent => "absent",
        OutputKind.Present => Quote(Value!),
        OutputKind.Created => "created",
        OutputKind.Replaced => "replaced",
        OutputKind.Existed => "existed",
        OutputKind.NotExisted => "not-existed",
        OutputKind.Acknowledged => "ok",
        _ => Kind.ToString(),
    };

    internal static string Quote(string value) => "\"" + value + "\"";
}
