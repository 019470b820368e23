using System.Collections.Concurrent;
using System.Diagnostics;

namespace ShardedKvs.Linearizability;

/// <summary>
/// Checks a history of per-key register operations for linearizability. Linearizability is
/// compositional, so the history is split by key and each key is searched on its own (in
/// parallel) with <see cref="WglSearch"/>, under a step and memory budget.
/// </summary>
public static class LinearizabilityChecker
{
    public static CheckResult Check(IReadOnlyList<Operation> history, CheckerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(history);
        options ??= CheckerOptions.Default;
        options.Validate();
        var stopwatch = Stopwatch.StartNew();

        var byKey = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        int droppedGets = 0;
        for (int i = 0; i < history.Count; i++)
        {
            var op = history[i] ?? throw new ArgumentException($"History entry {i} is null.", nameof(history));
            if (op.Kind == OpKind.Get && op.Outcome == OpOutcome.Unknown)
            {
                droppedGets++;
                continue;
            }

            if (!byKey.TryGetValue(op.Key, out var indices))
            {
                byKey.Add(op.Key, indices = []);
            }

            indices.Add(i);
        }

        var keys = byKey.Keys.Order(StringComparer.Ordinal).ToArray();
        var results = new KeyCheckResult[keys.Length];

        // Biggest keys first so a hot key does not start last and leave the other workers idle.
        var largestFirst = Enumerable.Range(0, keys.Length).OrderByDescending(k => byKey[keys[k]].Count).ToArray();
        Parallel.ForEach(
            Partitioner.Create(largestFirst, EnumerablePartitionerOptions.NoBuffering),
            new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism },
            k => results[k] = CheckKey(KeyHistory.Build(keys[k], history, byKey[keys[k]]), options));

        return new CheckResult(results, history.Count - droppedGets, droppedGets, stopwatch.Elapsed);
    }

    private static KeyCheckResult CheckKey(KeyHistory history, CheckerOptions options)
    {
        int count = history.Ops.Length;
        string? anomaly = options.ScanForAnomalies ? AnomalyScan.Find(history) : null;
        if (anomaly is not null)
        {
            return new KeyCheckResult(history.Key, KeyVerdict.NotLinearizable, count, 0, 0, anomaly);
        }

        // A relaxed search (unknown deletes and unread unknown puts reusable) refutes much faster;
        // its refutation is final. Otherwise the exact search decides.
        long relaxedSteps = 0;
        if (WglSearch.HasUnknownGroups(history))
        {
            var relaxed = WglSearch.Run(history, options, relaxed: true);
            if (relaxed.Verdict == KeyVerdict.NotLinearizable)
            {
                string why = Explanation.NotLinearizable(history, relaxed, options.MaxExplainedOperations)
                    + Environment.NewLine + "  (Found with unknown-outcome deletes and unread puts allowed to repeat, which only adds linearizations.)";
                return new KeyCheckResult(history.Key, KeyVerdict.NotLinearizable, count, relaxed.Steps, relaxed.LongestPrefix.Length, why);
            }

            relaxedSteps = relaxed.Steps;
        }

        var outcome = WglSearch.Run(history, options);
        outcome = outcome with { Steps = outcome.Steps + relaxedSteps };
        string? explanation = outcome.Verdict switch
        {
            KeyVerdict.NotLinearizable => Explanation.NotLinearizable(history, outcome, options.MaxExplainedOperations),
            KeyVerdict.Timeout => Explanation.Timeout(history, outcome, options.MaxExplainedOperations),
            _ => null,
        };
        return new KeyCheckResult(history.Key, outcome.Verdict, count, outcome.Steps, outcome.LongestPrefix.Length, explanation);
    }
}
