namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>
/// This node's <see cref="WriteWindow"/> as a primary: one per epoch, replaced when the node adopts a
/// newer one, so versions always grow (the epoch is their high bits). A write keeps the window it
/// began in and completes there. The field is swapped under a lock; readers see it through a volatile read.
/// </summary>
public sealed class PrimaryVersions
{
    private readonly Lock _gate = new();
    private readonly List<WriteWindow> _older = [];
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
                    _older.Add(window);
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
        lock (_gate)
        {
            _older.RemoveAll(w => w.IsSettled);
            return _older.Any(w => w.Epoch < epoch) || (_window is { } current && current.Epoch < epoch && !current.IsSettled);
        }
    }

    /// <summary>Every write of this primary at or below it is settled (0 before its first write).</summary>
    public long Watermark => _window?.Watermark ?? 0;
}
