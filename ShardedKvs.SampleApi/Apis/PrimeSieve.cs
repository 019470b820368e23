namespace ShardedKvs.SampleApi.Apis;

/// <summary>A sieve of Eratosthenes: slow enough for large limits to be worth caching.</summary>
public static class PrimeSieve
{
    public static int CountBelow(int limit, CancellationToken cancellationToken)
    {
        if (limit < 3)
        {
            return 0;
        }

        var composite = new bool[limit];
        var count = 0;
        for (var n = 2; n < limit; n++)
        {
            if (composite[n])
            {
                continue;
            }

            count++;
            if ((n & 0xFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            for (var multiple = (long)n * n; multiple < limit; multiple += n)
            {
                composite[multiple] = true;
            }
        }

        return count;
    }
}
