using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Caching.Hybrid;

namespace ShardedKvs.SampleApi.Apis;

/// <summary>
/// GET /primes/{limit}: a slow computation cached through HybridCache, whose second level is
/// ShardedKvs. A second call (from this or another instance) answers with the same ComputedAt.
/// </summary>
public static class PrimesApi
{
    public const int MaxLimit = 20_000_000;

    private static readonly HybridCacheEntryOptions CacheFor10Minutes = new() { Expiration = TimeSpan.FromMinutes(10) };

    public static IEndpointRouteBuilder MapPrimesApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/primes/{limit}", GetPrimeCountAsync);
        return endpoints;
    }

    private static async Task<Results<Ok<PrimeCount>, BadRequest<ApiError>>> GetPrimeCountAsync(
        string limit, HybridCache cache, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!int.TryParse(limit, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) || n > MaxLimit)
        {
            return TypedResults.BadRequest(new ApiError("Limit out of range", $"limit must be a whole number from 0 to {MaxLimit}"));
        }

        PrimeCount result = await cache.GetOrCreateAsync(
            $"primes:{n}",
            (limit: n, time),
            static (state, ct) => ValueTask.FromResult(new PrimeCount(
                state.limit, PrimeSieve.CountBelow(state.limit, ct), state.time.GetUtcNow(), Environment.ProcessId)),
            CacheFor10Minutes,
            cancellationToken: cancellationToken);
        return TypedResults.Ok(result);
    }
}
