namespace ShardedKvs.SampleApi.Apis;

/// <summary>How many primes lie below <see cref="Limit"/>, and when (and by which process) that was computed.</summary>
public sealed record PrimeCount(int Limit, int Count, DateTimeOffset ComputedAt, int ComputedByProcess);
