namespace ShardedKvs.Linearizability;

/// <summary>
/// Deterministic histories produced by simulating a correct register: every operation takes effect
/// at a point inside its recorded interval, so <see cref="Sequential"/> and <see cref="Concurrent"/>
/// are linearizable by construction (<see cref="RandomSmall"/> often corrupts one output).
/// </summary>
public static class HistoryGenerator
{
    private const long SlotTicks = 10;

    /// <summary>
    /// Ops run one after another in slots of <see cref="SlotTicks"/>; then each interval is widened by
    /// up to <paramref name="widenSlots"/> slots on either side (still containing its original slot,
    /// so the simulated order stays a valid linearization). Client i % clients issues op i; widening
    /// below clients / 2 slots keeps each client's ops from overlapping.
    /// </summary>
    public static List<Operation> Sequential(int seed, int count, int keys, int clients, int widenSlots, double unknownWriteRate)
    {
        if (2 * widenSlots >= clients)
        {
            throw new ArgumentOutOfRangeException(nameof(widenSlots), "Widening must stay below clients / 2 slots.");
        }

        var random = new Random(seed);
        var register = new Dictionary<string, string>(StringComparer.Ordinal);
        var history = new List<Operation>(count);
        for (int i = 0; i < count; i++)
        {
            long call = (i * SlotTicks) - random.NextInt64((widenSlots * SlotTicks) + 1);
            long ret = (i * SlotTicks) + (SlotTicks / 2) + random.NextInt64((widenSlots * SlotTicks) + 1);
            string key = $"k{random.Next(keys)}";
            history.Add(Simulate(random, register, i % clients, key, $"v{i}", call, ret, unknownWriteRate));
        }

        return history;
    }

    /// <summary>
    /// Each client issues ops back to back with random latencies; each op takes effect at a random
    /// point inside its interval, and outputs come from applying ops in effect order. A share
    /// <paramref name="hotShare"/> of ops goes to three hot keys. Ops time out at
    /// <paramref name="unknownRate"/>; a timed-out write takes effect half the time.
    /// </summary>
    public static List<Operation> Concurrent(int seed, int count, int keys, int clients, double unknownRate, double hotShare)
    {
        var random = new Random(seed);
        var planned = new List<(long Call, long Effect, long Return, int Client, string Key, string Value)>(count);
        var clock = new long[clients];
        for (int i = 0; i < count; i++)
        {
            int client = i % clients;
            long call = clock[client] + random.Next(0, 20);
            long effect = call + random.Next(1, 50);
            long ret = effect + random.Next(1, 50);
            clock[client] = ret;
            string key = random.NextDouble() < hotShare ? $"k{random.Next(3)}" : $"k{random.Next(keys)}";
            planned.Add((call, effect, ret, client, key, $"v{i}"));
        }

        var register = new Dictionary<string, string>(StringComparer.Ordinal);
        var history = new List<Operation>(count);
        foreach (var op in planned.OrderBy(p => p.Effect).ThenBy(p => p.Client))
        {
            history.Add(Simulate(random, register, op.Client, op.Key, op.Value, op.Call, op.Return, unknownRate));
        }

        return history;
    }

    /// <summary>Applies one random op to <paramref name="register"/> and records what a client would see.</summary>
    private static Operation Simulate(
        Random random, Dictionary<string, string> register, int client, string key, string value, long call, long ret, double unknownRate)
    {
        double kind = random.NextDouble();
        bool unknown = random.NextDouble() < unknownRate;
        bool takesEffect = !unknown || random.NextDouble() < 0.5;
        bool detailed = random.NextDouble() < 0.9;
        if (kind < 0.45)
        {
            register.TryGetValue(key, out string? current);
            return unknown
                ? Operation.Unknown(client, key, OpKind.Get, null, call)
                : Operation.Completed(client, key, OpKind.Get, null, OpOutput.Read(current), call, ret);
        }

        if (kind < 0.85)
        {
            bool created = !register.ContainsKey(key);
            if (takesEffect)
            {
                register[key] = value;
            }

            return unknown
                ? Operation.Unknown(client, key, OpKind.Put, value, call)
                : Operation.Completed(client, key, OpKind.Put, value, detailed ? OpOutput.Written(created) : OpOutput.Acknowledged, call, ret);
        }

        bool existed = takesEffect ? register.Remove(key) : register.ContainsKey(key);
        return unknown
            ? Operation.Unknown(client, key, OpKind.Delete, null, call)
            : Operation.Completed(client, key, OpKind.Delete, null, detailed ? OpOutput.Deleted(existed) : OpOutput.Acknowledged, call, ret);
    }

    /// <summary>
    /// Up to <paramref name="maxOps"/> ops on one key with random, often touching intervals, outputs from a simulated
    /// register (each op takes effect at a random point of its interval), some unknown outcomes,
    /// some acknowledged-only writes, an occasional repeated value, and often one output corrupted.
    /// For cross-checking against <see cref="BruteForceChecker"/>.
    /// </summary>
    public static List<Operation> RandomSmall(Random random, int maxOps = 7, int unknownOneIn = 5)
    {
        int n = random.Next(1, maxOps + 1);
        var planned = new List<(long Call, long Effect, long Return, int Client, string Value)>();
        for (int i = 0; i < n; i++)
        {
            long call = random.Next(0, 2 * n);
            long duration = random.Next(0, 8);
            planned.Add((call, call + random.Next(0, (int)duration + 1), call + duration, i, random.Next(10) == 0 ? "v0" : $"v{i}"));
        }

        string? register = null;
        var history = new List<Operation>();
        foreach (var p in planned.OrderBy(p => p.Effect))
        {
            double kind = random.NextDouble();
            bool unknown = random.Next(unknownOneIn) == 0;
            bool takesEffect = !unknown || random.Next(2) == 0;
            bool acknowledged = random.Next(5) == 0;
            string? before = register;
            if (kind < 0.4)
            {
                history.Add(unknown
                    ? Operation.Unknown(p.Client, "k", OpKind.Get, null, p.Call)
                    : Operation.Completed(p.Client, "k", OpKind.Get, null, OpOutput.Read(before), p.Call, p.Return));
                continue;
            }

            bool isPut = kind < 0.8;
            if (takesEffect)
            {
                register = isPut ? p.Value : null;
            }

            var output = acknowledged ? OpOutput.Acknowledged
                : isPut ? OpOutput.Written(before is null) : OpOutput.Deleted(before is not null);
            history.Add(unknown
                ? Operation.Unknown(p.Client, "k", isPut ? OpKind.Put : OpKind.Delete, isPut ? p.Value : null, p.Call)
                : Operation.Completed(p.Client, "k", isPut ? OpKind.Put : OpKind.Delete, isPut ? p.Value : null, output, p.Call, p.Return));
        }

        if (random.Next(3) > 0)
        {
            int victim = random.Next(history.Count);
            var o = history[victim];
            if (o.Outcome == OpOutcome.Ok)
            {
                var corrupted = o.Kind switch
                {
                    OpKind.Get => OpOutput.Read(random.Next(3) == 0 ? null : $"v{random.Next(n)}"),
                    OpKind.Put => OpOutput.Written(random.Next(2) == 0),
                    _ => OpOutput.Deleted(random.Next(2) == 0),
                };
                history[victim] = Operation.Completed(o.ClientId, o.Key, o.Kind, o.Input, corrupted, o.CallTime, o.ReturnTime);
            }
        }

        return history;
    }
}
