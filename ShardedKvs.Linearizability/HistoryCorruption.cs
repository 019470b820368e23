namespace ShardedKvs.Linearizability;

/// <summary>
/// Corruptions of linearizable histories that provably make them non-linearizable, for tests that
/// need a violation buried in a large history. Values must be unique per key (as the generators make them).
/// </summary>
public static class HistoryCorruption
{
    /// <summary>
    /// Replaces the output of an ok get (at or after <paramref name="from"/>) with the value of an ok
    /// put that was certainly overwritten before the get was called: some later ok write on the same
    /// key was called after the put returned and returned before the get was called. Values are
    /// unique, so no linearization can justify the read.
    /// </summary>
    public static int StaleRead(List<Operation> history, int from, string? key = null)
    {
        for (int g = from; g < history.Count; g++)
        {
            var get = history[g];
            if (get.Kind != OpKind.Get || get.Outcome != OpOutcome.Ok || (key is not null && get.Key != key))
            {
                continue;
            }

            var writes = history.Where(o => o.Key == get.Key && o.Kind != OpKind.Get && o.Outcome == OpOutcome.Ok).ToList();
            var stale = writes.FirstOrDefault(put => put.Kind == OpKind.Put
                && put.Input != get.Output.Value
                && writes.Any(w => w.CallTime > put.ReturnTime && w.ReturnTime < get.CallTime));
            if (stale is not null)
            {
                history[g] = Operation.Completed(get.ClientId, get.Key, OpKind.Get, null, OpOutput.Read(stale.Input), get.CallTime, get.ReturnTime);
                return g;
            }
        }

        throw new InvalidOperationException("No get could be corrupted.");
    }

    /// <summary>
    /// Makes a value flip back: finds gets G1, G2 on one key, G1 returning before G2 is called, that
    /// both read the value of P1, and an ok put P2 of another value, called after P1 returned and
    /// overlapping G1; then makes G1 read P2's value. G1 now orders P2 before G2, which would have to
    /// read P1's value after P2 overwrote it. Values are unique, so this is not linearizable, yet no
    /// single read is phantom, future or stale: only the search can refute it.
    /// </summary>
    public static int FlipBack(List<Operation> history, int from)
    {
        var writers = history.Where(o => o.Kind == OpKind.Put).GroupBy(o => (o.Key, o.Input)).ToDictionary(g => g.Key, g => g.ToList());
        var byKey = history.ToLookup(o => o.Key);
        Operation? UniqueOkWriter(string key, string? value) =>
            writers.TryGetValue((key, value), out var w) && w.Count == 1 && w[0].Outcome == OpOutcome.Ok ? w[0] : null;

        for (int i = from; i < history.Count; i++)
        {
            var g1 = history[i];
            var p1 = g1.Kind == OpKind.Get && g1.Output.Kind == OutputKind.Present ? UniqueOkWriter(g1.Key, g1.Output.Value) : null;
            var sameKey = byKey[g1.Key];
            bool hasG2 = p1 is not null && sameKey.Any(g2 => g2.Kind == OpKind.Get && g2.Output == g1.Output && g2.CallTime > g1.ReturnTime);
            var p2 = !hasG2 ? null : sameKey.FirstOrDefault(p => p.Kind == OpKind.Put && p.Input != g1.Output.Value
                && UniqueOkWriter(p.Key, p.Input) is not null
                && p.CallTime > p1!.ReturnTime && p.CallTime <= g1.ReturnTime && p.ReturnTime >= g1.CallTime);
            if (p2 is not null)
            {
                history[i] = Operation.Completed(g1.ClientId, g1.Key, OpKind.Get, null, OpOutput.Read(p2.Input), g1.CallTime, g1.ReturnTime);
                return i;
            }
        }

        throw new InvalidOperationException("No get could be corrupted.");
    }
}
