namespace ShardedKvs.Linearizability;

/// <summary>
/// Cheap, certain refutations tried before the search, each with a precise explanation. Finding
/// one proves the key not linearizable; finding none proves nothing.
/// <list type="bullet">
/// <item>Phantom read: a get returned a value no put on the key wrote.</item>
/// <item>Future read: every put of the value was called after the get returned.</item>
/// <item>Stale read: the value has a single, acknowledged writer P, and some acknowledged write W
/// was called after P returned and returned before the get was called.</item>
/// <item>Lost write: an op saw the key absent (get absent, put created, delete not-existed) although
/// an acknowledged put returned before it was called and no delete, acknowledged or not, can take
/// effect between that put's call and the op's return.</item>
/// </list>
/// </summary>
internal static class AnomalyScan
{
    public static string? Find(KeyHistory history)
    {
        var operations = history.Operations;
        var writers = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var okWrites = new List<int>();
        var okPuts = new List<int>();
        var deletes = new List<int>();
        for (int op = 0; op < operations.Length; op++)
        {
            var o = operations[op];
            if (o.Kind == OpKind.Put)
            {
                if (!writers.TryGetValue(o.Input!, out var list))
                {
                    writers.Add(o.Input!, list = []);
                }

                list.Add(op);
                if (o.Outcome == OpOutcome.Ok)
                {
                    okPuts.Add(op);
                }
            }

            if (o.Kind == OpKind.Delete)
            {
                deletes.Add(op);
            }

            if (o.Kind != OpKind.Get && o.Outcome == OpOutcome.Ok)
            {
                okWrites.Add(op);
            }
        }

        var byCall = Comparer<int>.Create((a, b) => operations[a].CallTime.CompareTo(operations[b].CallTime));
        var byReturn = Comparer<int>.Create((a, b) => operations[a].ReturnTime.CompareTo(operations[b].ReturnTime));
        okWrites.Sort(byCall);
        okPuts.Sort(byReturn);
        deletes.Sort(byCall);

        // Earliest-returning ok write among each suffix (by call), latest-called ok put among each
        // prefix (by return), latest-returning delete among each prefix (by call).
        var earliestReturn = Scan(okWrites, fromEnd: true, (a, b) => operations[a].ReturnTime <= operations[b].ReturnTime);
        var latestCall = Scan(okPuts, fromEnd: false, (a, b) => operations[a].CallTime >= operations[b].CallTime);
        var latestReturn = Scan(deletes, fromEnd: false, (a, b) => operations[a].ReturnTime >= operations[b].ReturnTime);
        var secondLatestReturn = SecondBest(deletes, latestReturn, (a, b) => operations[a].ReturnTime >= operations[b].ReturnTime);

        for (int op = 0; op < operations.Length; op++)
        {
            var o = operations[op];
            string header = $"Key {OpOutput.Quote(history.Key)}: NOT linearizable ({operations.Length} ops): {history.Describe(op)}";
            if (o.Kind == OpKind.Get && o.Output.Kind == OutputKind.Present)
            {
                if (!writers.TryGetValue(o.Output.Value!, out var puts))
                {
                    return $"{header} read a value that no put on this key ever wrote.";
                }

                if (puts.TrueForAll(p => operations[p].CallTime > o.ReturnTime))
                {
                    return $"{header} read a value before any put of it was called: {history.Describe(puts[0])}.";
                }

                if (puts.Count == 1 && operations[puts[0]].Outcome == OpOutcome.Ok)
                {
                    int put = puts[0];
                    int overwrite = earliestReturn[CountBefore(okWrites, w => operations[w].CallTime <= operations[put].ReturnTime)];
                    if (overwrite >= 0 && operations[overwrite].ReturnTime < o.CallTime)
                    {
                        return $"{header} read a stale value: its only writer {history.Describe(put)} returned before "
                            + $"{history.Describe(overwrite)} was called, which returned before the read was called.";
                    }
                }
            }

            if (RegisterModel.Compile(o, _ => 0).Expect == RegisterModel.Absent && o.Outcome == OpOutcome.Ok)
            {
                int put = CountBefore(okPuts, p => operations[p].ReturnTime < o.CallTime) is var n && n > 0 ? latestCall[n - 1] : -1;
                if (put >= 0)
                {
                    // The latest-returning delete that could fall between, other than the op itself.
                    int d = CountBefore(deletes, x => operations[x].CallTime <= o.ReturnTime);
                    int delete = d == 0 ? -1 : latestReturn[d - 1] != op ? latestReturn[d - 1] : secondLatestReturn[d - 1];
                    if (delete < 0 || operations[delete].ReturnTime < operations[put].CallTime)
                    {
                        return $"{header} found the key absent, but {history.Describe(put)} returned before it was called "
                            + "and no delete can take effect in between.";
                    }
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Running best element over <paramref name="sorted"/>: from the end (entry i covers i..end, with
    /// entry Count = -1) or from the start (entry i covers 0..i).
    /// </summary>
    private static int[] Scan(List<int> sorted, bool fromEnd, Func<int, int, bool> isBetterOrEqual)
    {
        var best = new int[sorted.Count + 1];
        Array.Fill(best, -1);
        for (int k = 0; k < sorted.Count; k++)
        {
            int i = fromEnd ? sorted.Count - 1 - k : k;
            int previous = fromEnd ? best[i + 1] : (i > 0 ? best[i - 1] : -1);
            best[i] = previous >= 0 && isBetterOrEqual(previous, sorted[i]) ? previous : sorted[i];
        }

        return best;
    }

    /// <summary>Runner-up to <paramref name="best"/> over each prefix of <paramref name="sorted"/>; -1 if none.</summary>
    private static int[] SecondBest(List<int> sorted, int[] best, Func<int, int, bool> isBetterOrEqual)
    {
        var second = new int[sorted.Count + 1];
        Array.Fill(second, -1);
        for (int i = 0; i < sorted.Count; i++)
        {
            // Candidates: the previous best and runner-up, and the new element; keep the best that is not best[i].
            int candidate = -1;
            foreach (int x in (ReadOnlySpan<int>)[i > 0 ? best[i - 1] : -1, i > 0 ? second[i - 1] : -1, sorted[i]])
            {
                if (x >= 0 && x != best[i] && (candidate < 0 || isBetterOrEqual(x, candidate)))
                {
                    candidate = x;
                }
            }

            second[i] = candidate;
        }

        return second;
    }

    /// <summary>Length of the prefix of <paramref name="sorted"/> satisfying a monotone predicate.</summary>
    private static int CountBefore(List<int> sorted, Func<int, bool> inPrefix)
    {
        int low = 0;
        int high = sorted.Count;
        while (low < high)
        {
            int mid = (low + high) >>> 1;
            if (inPrefix(sorted[mid]))
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }
}
