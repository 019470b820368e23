namespace ShardedKvs.Linearizability;

/// <summary>The verdict for one key's sub-history.</summary>
/// <param name="Key">The key.</param>
/// <param name="Verdict">Linearizable, not, or undecided within the budget.</param>
/// <param name="OperationCount">Operations checked for this key (unknown gets excluded).</param>
/// <param name="Steps">Search steps spent.</param>
/// <param name="LongestPrefix">Length of the longest linearizable prefix found (equals the linearization length when linearizable).</param>
/// <param name="Explanation">Human-readable reason for a non-linearizable or timed-out key; null when linearizable.</param>
public sealed record KeyCheckResult(
    string Key,
    KeyVerdict Verdict,
    int OperationCount,
    long Steps,
    int LongestPrefix,
    string? Explanation);
