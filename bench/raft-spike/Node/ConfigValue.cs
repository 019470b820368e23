namespace RaftSpike.Node;

/// <summary>The replicated "configuration": one small string, the log index that set it and how many
/// entries this process has applied. Immutable; the state machine swaps it whole.</summary>
public sealed record ConfigValue(string Value, long Index, long AppliedEntries)
{
    public static readonly ConfigValue Empty = new(string.Empty, 0, 0);
}
