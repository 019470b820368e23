namespace ShardedKvs.Linearizability;

/// <summary>What <see cref="WglSearch"/> concluded for one key.</summary>
/// <param name="Verdict">Linearizable, not, or budget exhausted.</param>
/// <param name="Steps">Search steps spent.</param>
/// <param name="LongestPrefix">Ops (search indices) of the longest linearizable prefix seen, in linearization order; the full linearization when linearizable.</param>
/// <param name="BudgetExhausted">For a timeout, which budget ran out.</param>
internal sealed record SearchOutcome(KeyVerdict Verdict, long Steps, int[] LongestPrefix, string? BudgetExhausted);
