using System.Globalization;
using System.Text;

namespace ShardedKvs.Linearizability;

/// <summary>The checker's verdicts for a whole history, one per key, ordered by key.</summary>
public sealed class CheckResult
{
    internal CheckResult(IReadOnlyList<KeyCheckResult> keys, int operationCount, int droppedUnknownGets, TimeSpan elapsed)
    {
        Keys = keys;
        OperationCount = operationCount;
        DroppedUnknownGets = droppedUnknownGets;
        Elapsed = elapsed;
        Violations = [.. keys.Where(k => k.Verdict == KeyVerdict.NotLinearizable)];
        TimedOut = [.. keys.Where(k => k.Verdict == KeyVerdict.Timeout)];
    }

    public IReadOnlyList<KeyCheckResult> Keys { get; }

    /// <summary>Keys proven not linearizable.</summary>
    public IReadOnlyList<KeyCheckResult> Violations { get; }

    /// <summary>Keys whose search ran out of budget.</summary>
    public IReadOnlyList<KeyCheckResult> TimedOut { get; }

    /// <summary>Operations checked (unknown gets excluded).</summary>
    public int OperationCount { get; }

    /// <summary>Unknown-outcome gets removed before checking (they constrain nothing).</summary>
    public int DroppedUnknownGets { get; }

    public TimeSpan Elapsed { get; }

    public int LinearizableKeyCount => Keys.Count - Violations.Count - TimedOut.Count;

    /// <summary>True when some key is proven not linearizable.</summary>
    public bool HasViolations => Violations.Count > 0;

    /// <summary>True when every key is proven linearizable (no violations and no timeouts).</summary>
    public bool IsLinearizable => Violations.Count == 0 && TimedOut.Count == 0;

    /// <summary>A summary line, then the explanations of up to <paramref name="maxKeys"/> violating and timed-out keys.</summary>
    public string Describe(int maxKeys = 5)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"Checked {OperationCount} ops over {Keys.Count} keys in {Elapsed.TotalMilliseconds:F0} ms ");
        text.Append(CultureInfo.InvariantCulture,
            $"({DroppedUnknownGets} unknown gets dropped): {LinearizableKeyCount} linearizable, ");
        text.Append(CultureInfo.InvariantCulture,
            $"{Violations.Count} NOT linearizable, {TimedOut.Count} timed out.");
        foreach (var key in Violations.Concat(TimedOut).Take(maxKeys))
        {
            text.AppendLine().Append(key.Explanation);
        }

        int hidden = Violations.Count + TimedOut.Count - maxKeys;
        if (hidden > 0)
        {
            text.AppendLine().Append(CultureInfo.InvariantCulture, $"... and {hidden} more keys.");
        }

        return text.ToString();
    }

    public override string ToString() => Describe();
}
