using System.Collections.Immutable;

namespace ShardedKvs.Ring;

/// <summary>Which nodes a view change adds and removes.</summary>
public sealed record ViewDiff(ImmutableArray<string> Added, ImmutableArray<string> Removed)
{
    public static ViewDiff Between(ImmutableArray<string> from, ImmutableArray<string> to)
    {
        var fromSet = from.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var toSet = to.ToHashSet(StringComparer.OrdinalIgnoreCase);
        return new ViewDiff(
            to.Where(n => !fromSet.Contains(n)).ToImmutableArray(),
            from.Where(n => !toSet.Contains(n)).ToImmutableArray());
    }

    public bool IsEmpty => Added.IsEmpty && Removed.IsEmpty;
}
