namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>
/// A primary's writes of one epoch: each gets a version that grows with the epoch and within it, and
/// the window tracks which have completed (acknowledged by every replica, or given up with the epoch),
/// so the primary can tell its replicas up to which version everything is settled. Replicas keep the
/// writes above that watermark as uncertain (see <see cref="UncertainWrites"/>). Bounded: a primary with
/// <c>capacity</c> writes in flight refuses more until some complete. Guarded by its own lock, held only
/// for a few array operations.
/// </summary>
public sealed class WriteWindow
{
    private const int CounterBits = 40;

    private readonly Lock _gate = new();
    private readonly bool[] _done;
    private readonly long _epochBase;
    private long _issued;
    private long _settled;
    private bool _retired;

    public WriteWindow(long epoch, int capacity = 64 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(epoch, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(epoch, (1L << (63 - CounterBits)) - 1);
        _done = new bool[capacity];
        _epochBase = epoch << CounterBits;
        Epoch = epoch;
    }

    public long Epoch { get; }

    /// <summary>Every version at or below this has completed; versions of older epochs are all below it.</summary>
    public long Watermark
    {
        get
        {
            lock (_gate)
            {
                return _epochBase | _settled;
            }
        }
    }

    /// <summary>Whether every write given a version here has completed.</summary>
    public bool IsSettled
    {
        get
        {
            lock (_gate)
            {
                return _settled == _issued;
            }
        }
    }

    /// <summary>The epoch a version was given in.</summary>
    public static long EpochOf(long version) => version >> CounterBits;

    /// <summary>Gives the next write its version, unless the window is full or retired.</summary>
    public WriteStart TryBegin(out long version)
    {
        lock (_gate)
        {
            if (_retired)
            {
                version = 0;
                return WriteStart.EpochMoved;
            }

            if (_issued - _settled >= _done.Length)
            {
                version = 0;
                return WriteStart.WindowFull;
            }

            _issued++;
            version = _epochBase | _issued;
            return WriteStart.Begun;
        }
    }

    /// <summary>
    /// Closes a settled window to new writes, in the same step as the check, so that the one who
    /// stops watching it (<see cref="PrimaryVersions"/>, once a newer window replaced it) never misses
    /// a write begun by a caller still holding it. False, and nothing changes, while a write is under way.
    /// </summary>
    public bool TryRetire()
    {
        lock (_gate)
        {
            _retired = _settled == _issued;
            return _retired;
        }
    }

    public void Complete(long version)
    {
        long counter = version & ((1L << CounterBits) - 1);
        lock (_gate)
        {
            if (EpochOf(version) != Epoch || counter <= _settled || counter > _issued)
            {
                throw new ArgumentOutOfRangeException(nameof(version), version, "Not a write in flight in this window");
            }

            _done[counter % _done.Length] = true;
            while (_settled < _issued && _done[(_settled + 1) % _done.Length])
            {
                _settled++;
                _done[_settled % _done.Length] = false;
            }
        }
    }
}
