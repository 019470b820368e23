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
    private long _adopted;

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
                    // A retired window is dropped: it can begin no write the watermark would miss.
                    _older = [.. _older.Where(w => !w.TryRetire()), window];
                }

                _window = window = new WriteWindow(epoch);
            }

            return window;
        }
    }

    /// <summary>This node adopted the configuration of <paramref name="epoch"/>: writes that found it
    /// primary under an older one begin no more (see <see cref="TryBegin"/>).</summary>
    public void Adopted(long epoch)
    {
        long seen = Interlocked.Read(ref _adopted);
        while (seen < epoch)
        {
            long was = Interlocked.CompareExchange(ref _adopted, epoch, seen);
            if (was == seen)
            {
                return;
            }

            seen = was;
        }
    }

    /// <summary>
    /// Gives a write of a key this node found itself primary for at <paramref name="epoch"/> its
    /// version, unless the node has adopted a newer configuration meanwhile (then the caller routes
    /// the write again). A drain check answered between the primary check and the version would
    /// otherwise have told the key's new primary that nothing older is under way here, and this
    /// write, finished afterwards on the new write set with its older version, would have been
    /// acknowledged without taking effect after the new primary's writes.
    /// </summary>
    public WriteStart TryBegin(long epoch, out WriteWindow window, out long version)
    {
        window = For(epoch);
        if (window.Epoch != epoch)
        {
            // A write that found this node primary at a newer epoch opened a newer window already.
            version = 0;
            return WriteStart.EpochMoved;
        }

        WriteStart start = window.TryBegin(out version);
        if (start != WriteStart.Begun)
        {
            return start;
        }

        // Either a drain check sees this write under way, or this read sees the epoch that the
        // check's node adopted before it looked: the full fence keeps the two from passing each other.
        Interlocked.MemoryBarrier();
        if (Interlocked.Read(ref _adopted) > epoch)
        {
            window.Complete(version); // sent nowhere
            return WriteStart.EpochMoved;
        }

        return WriteStart.Begun;
    }

    /// <summary>What a key's new primary asks its previous one before serving it: whether this node
    /// has adopted <paramref name="epoch"/> and finished every write it began under an older one.</summary>
    public bool HasDrained(long epoch) => Interlocked.Read(ref _adopted) >= epoch && !HasUnsettledBefore(epoch);

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
