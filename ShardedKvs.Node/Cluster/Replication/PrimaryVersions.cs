namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>
/// This node's <see cref="WriteWindow"/> as a primary: one per epoch, replaced when the node adopts a
/// newer one, so versions always grow (the epoch is their high bits). A write keeps the window it
/// began in and completes there. The windows are swapped under a lock; readers see the current one and
/// the older unsettled ones through volatile reads of immutable references.
/// </summary>
public sealed class PrimaryVersions
{
    private readonly Lock _gate = new();
    private volatile WriteWindow[] _older = [];
    private volatile WriteWindow? _window;

    public WriteWindow For(long epoch)
    {
        WriteWindow? window = _window;
        if (window is not null && window.Epoch >= epoch)
        {
            return window;
        }

        lock (_gate)
        {
            window = _window;
            if (window is null || window.Epoch < epoch)
            {
                if (window is not null)
                {
                    _older = [.. _older.Where(w => !w.IsSettled), window];
                }

                _window = window = new WriteWindow(epoch);
            }

            return window;
        }
    }

    /// <summary>Whether a write this node began as primary under an epoch before <paramref name="epoch"/>
    /// is still under way: until none is, a node that took a key over from this one must not serve it.</summary>
    public bool HasUnsettledBefore(long epoch)
    {
        WriteWindow? current = _window; // read before the older ones: see Watermark
        foreach (WriteWindow older in _older)
        {
            if (older.Epoch < epoch && !older.IsSettled)
            {
                return true;
            }
        }

        return current is not null && current.Epoch < epoch && !current.IsSettled;
    }

    /// <summary>Every write of this primary at or below it is settled (0 before its first write). A new
    /// epoch's window starts above every older version, so while a write of an older window is still
    /// under way the watermark stays below it: a replica that applied that write keeps it uncertain,
    /// and reconciles it if this node dies before finishing it.</summary>
    public long Watermark
    {
        get
        {
            // The current window first: For publishes the older ones before the window that replaced
            // them, so the older ones read after it include every window older than it.
            WriteWindow? current = _window;

            // Older windows are kept oldest first: the first unsettled one bounds everything after it.
            foreach (WriteWindow older in _older)
            {
                if (!older.IsSettled)
                {
                    return older.Watermark;
                }
            }

            return current?.Watermark ?? 0;
        }
    }
}
