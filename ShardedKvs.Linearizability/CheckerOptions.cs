namespace ShardedKvs.Linearizability;

/// <summary>Budgets and reporting limits for <see cref="LinearizabilityChecker"/>.</summary>
public sealed record CheckerOptions
{
    public static CheckerOptions Default { get; } = new();

    /// <summary>
    /// Search steps allowed per key and search before the verdict becomes <see cref="KeyVerdict.Timeout"/>.
    /// A key with unknown-outcome writes may run two searches (a fast relaxed one, then the exact one).
    /// </summary>
    public long MaxStepsPerKey { get; init; } = 10_000_000;

    /// <summary>Memory one search's memo cache may use before the verdict becomes <see cref="KeyVerdict.Timeout"/>.</summary>
    public long MaxCacheBytesPerKey { get; init; } = 256L * 1024 * 1024;

    /// <summary>
    /// Try cheap, certain refutations (phantom, future and stale reads, lost writes) before the
    /// search; they also give the most precise explanations. Off only to exercise the search.
    /// </summary>
    public bool ScanForAnomalies { get; init; } = true;

    /// <summary>Keys checked in parallel.</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>How many operations of the linearizable prefix and of the stuck frontier an explanation lists.</summary>
    public int MaxExplainedOperations { get; init; } = 8;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxStepsPerKey, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxCacheBytesPerKey, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDegreeOfParallelism, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxExplainedOperations, 0);
    }
}
