namespace ShardedKvs.Tests.Infrastructure;

/// <summary>A <see cref="Random"/> from one seed that fault handlers on many threads may share.</summary>
public sealed class SeededRandom(int seed)
{
    private readonly Random _random = new(seed);
    private readonly Lock _gate = new();

    public int Seed { get; } = seed;

    /// <summary>True with the given probability in percent.</summary>
    public bool Percent(int percent)
    {
        lock (_gate)
        {
            return _random.Next(100) < percent;
        }
    }

    public int Next(int minValue, int maxValue)
    {
        lock (_gate)
        {
            return _random.Next(minValue, maxValue);
        }
    }
}
