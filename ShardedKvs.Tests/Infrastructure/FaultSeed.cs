using System.Globalization;

namespace ShardedKvs.Tests.Infrastructure;

/// <summary>
/// The seed of a test's random fault injection: from KVS_FAULT_SEED when set (to replay a failure),
/// otherwise a fresh one. Tests print it and name it in their failure, so any run can be replayed.
/// </summary>
public static class FaultSeed
{
    public const string Variable = "KVS_FAULT_SEED";

    public static int Choose() =>
        int.TryParse(Environment.GetEnvironmentVariable(Variable), NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed)
            ? seed
            : Random.Shared.Next();

    /// <summary>Runs <paramref name="test"/>; a failure is re-thrown with the seed that replays it.</summary>
    public static async Task ReplayableAsync(int seed, Func<Task> test)
    {
        try
        {
            await test();
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"Failed with fault seed {seed}; replay with {Variable}={seed}. {e.Message}", e);
        }
    }
}
