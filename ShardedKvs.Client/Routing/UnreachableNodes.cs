using System.Collections.Immutable;

namespace ShardedKvs.Client.Routing;

/// <summary>
/// Nodes that refused a connection lately (a process that died, a host that is gone). Until the
/// cluster excludes such a node its view still names it as a primary; routing sends its keys to their
/// next in-sync replica meanwhile, instead of every call paying a refused connection (or a connect
/// timeout) first. A mark counts only under the view it was made in (a newer view says by itself who
/// is excluded) and for <see cref="AvoidFor"/>, after which one call tries the node again.
/// Thread-safe: an immutable map swapped whole (<see cref="ImmutableInterlocked"/>), so the request
/// path reads it without locks; it changes only when a node refuses or answers again.
/// </summary>
internal sealed class UnreachableNodes(TimeProvider time)
{
    /// <summary>About how long the nodes take to detect a death (1 s) and decide the exclusion.</summary>
    public static readonly TimeSpan AvoidFor = TimeSpan.FromSeconds(1);

    /// <summary>How often the client asks for the view while it routes around a node the view still names.</summary>
    public static readonly TimeSpan RefreshWhileAvoiding = TimeSpan.FromMilliseconds(250);

    private ImmutableDictionary<string, Mark> _marks = ImmutableDictionary.Create<string, Mark>(StringComparer.OrdinalIgnoreCase);

    public void Add(string node, long epoch) => ImmutableInterlocked.AddOrUpdate(ref _marks, node, new Mark(epoch, time.GetTimestamp()), (_, _) => new Mark(epoch, time.GetTimestamp()));

    /// <summary>Forgets <paramref name="node"/>: it answered.</summary>
    public void Remove(string node)
    {
        if (!Volatile.Read(ref _marks).IsEmpty)
        {
            ImmutableInterlocked.TryRemove(ref _marks, node, out _);
        }
    }

    /// <summary>Whether routing under the view of <paramref name="epoch"/> should avoid <paramref name="node"/>.</summary>
    public bool Avoids(string node, long epoch)
    {
        ImmutableDictionary<string, Mark> marks = Volatile.Read(ref _marks);
        return !marks.IsEmpty
            && marks.TryGetValue(node, out Mark mark)
            && mark.Epoch == epoch
            && time.GetElapsedTime(mark.At) < AvoidFor;
    }

    private readonly record struct Mark(long Epoch, long At);
}
