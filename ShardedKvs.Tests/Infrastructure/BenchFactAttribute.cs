namespace ShardedKvs.Tests.Infrastructure;

/// <summary>
/// A measurement, not a test: it runs only when KVS_BENCH=1 (and is reported as skipped otherwise),
/// so the suite never spends its time or the machine's cores on it. Mark such tests
/// <c>[Trait("Category", "Bench")]</c> as well, so they can be picked with a filter.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BenchFactAttribute : FactAttribute
{
    public const string Variable = "KVS_BENCH";

    public BenchFactAttribute()
    {
        if (Environment.GetEnvironmentVariable(Variable) != "1")
        {
            Skip = $"a measurement: runs with {Variable}=1";
        }
    }
}
