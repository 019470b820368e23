namespace RaftSpike.Node;

/// <summary>The replicated "configuration": one small string, the log index that set it and how many
/// entries this process has applied, and how many self-checking entries ("#length|text") arrived
/// with a length that does not match (WAL corruption such as dotnet/dotNext#292). Immutable; the
/// state machine swaps it whole.</summary>
public sealed record ConfigValue(string Value, long Index, long AppliedEntries, long CorruptEntries)
{
    public static readonly ConfigValue Empty = new(string.Empty, 0, 0, 0);
}
