using System.Globalization;
using System.Text;

namespace ShardedKvs.Linearizability;

/// <summary>Human-readable reasons for non-linearizable and timed-out keys.</summary>
internal static class Explanation
{
    public static string NotLinearizable(KeyHistory history, SearchOutcome outcome, int maxOps)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Key {OpOutput.Quote(history.Key)}: NOT linearizable ({history.Ops.Length} ops, {outcome.Steps} steps); ");
        text.Append(CultureInfo.InvariantCulture, $"the longest linearizable prefix has {outcome.LongestPrefix.Length} ops.");
        string? value = AppendPrefix(text, history, outcome.LongestPrefix, maxOps);
        AppendFrontier(text, history, outcome.LongestPrefix, value, maxOps);
        return text.ToString();
    }

    public static string Timeout(KeyHistory history, SearchOutcome outcome, int maxOps)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Key {OpOutput.Quote(history.Key)}: UNDECIDED, search stopped after {outcome.BudgetExhausted} ");
        text.Append(CultureInfo.InvariantCulture, $"({history.Ops.Length} ops, {outcome.Steps} steps); the longest linearizable prefix found has {outcome.LongestPrefix.Length} ops.");
        AppendPrefix(text, history, outcome.LongestPrefix, maxOps);
        return text.ToString();
    }

    private static string? AppendPrefix(StringBuilder text, KeyHistory history, int[] prefix, int maxOps)
    {
        string? value = null;
        foreach (int op in prefix)
        {
            RegisterModel.Apply(history.Operations[op], ref value);
        }

        int shown = Math.Min(prefix.Length, maxOps);
        if (shown > 0)
        {
            text.AppendLine().Append(CultureInfo.InvariantCulture, $"  Linearizable prefix, last {shown} of {prefix.Length} in linearization order:");
            for (int i = prefix.Length - shown; i < prefix.Length; i++)
            {
                text.AppendLine().Append("    ").Append(history.Describe(prefix[i]));
            }
        }

        text.AppendLine().Append("  Register after the prefix: ").Append(value is null ? "absent" : OpOutput.Quote(value));
        return value;
    }

    private static void AppendFrontier(StringBuilder text, KeyHistory history, int[] prefix, string? value, int maxOps)
    {
        var linearized = new HashSet<int>(prefix);
        var operations = history.Operations;
        int first = -1;
        for (int op = 0; op < operations.Length; op++)
        {
            if (!linearized.Contains(op) && operations[op].Outcome == OpOutcome.Ok
                && (first < 0 || operations[op].ReturnTime < operations[first].ReturnTime))
            {
                first = op;
            }
        }

        if (first < 0)
        {
            return;
        }

        var candidates = Enumerable.Range(0, operations.Length)
            .Where(op => !linearized.Contains(op) && operations[op].CallTime <= operations[first].ReturnTime)
            .ToList();
        var observed = candidates.Where(op => operations[op].Outcome == OpOutcome.Ok)
            .OrderBy(op => op == first ? 0 : 1)
            .ThenBy(op => operations[op].CallTime)
            .ToList();
        int unknown = candidates.Count - observed.Count;
        text.AppendLine().Append(CultureInfo.InvariantCulture, $"  {history.Describe(first)} must take effect before it returns, ");
        text.Append(CultureInfo.InvariantCulture, $"but none of the {candidates.Count} ops that may go next leads to a linearization:");
        foreach (int op in observed.Take(maxOps))
        {
            string? after = value;
            string why = RegisterModel.Apply(operations[op], ref after) ?? "allowed here, but every continuation after it fails";
            text.AppendLine().Append("    ").Append(history.Describe(op)).Append(": ").Append(why);
        }

        if (observed.Count > maxOps)
        {
            text.AppendLine().Append(CultureInfo.InvariantCulture, $"    ... and {observed.Count - maxOps} more");
        }

        if (unknown > 0)
        {
            text.AppendLine().Append(CultureInfo.InvariantCulture, $"    (and {unknown} unknown-outcome writes, none of which leads to a linearization either)");
        }
    }
}
