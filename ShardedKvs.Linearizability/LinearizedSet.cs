namespace ShardedKvs.Linearizability;

/// <summary>
/// The set of linearized ops during the search, with a compact, canonical key for the memo cache.
/// <list type="bullet">
/// <item>Ok ops are ranked by return time. Every ok op below the watermark (the lowest-ranked
/// unlinearized one) is linearized, and those above it can only be ops that overlap it, so the key
/// holds the watermark and the few linearized ok ops above it: its size follows the history's
/// concurrency, not its length.</item>
/// <item>Unknown puts of values some get read keep one bit each.</item>
/// <item>The interchangeable unknown ops (<see cref="OpClass"/>) are always taken earliest-called
/// first, so how many of each group are linearized determines which. These counts are kept out of
/// the key: <see cref="StateCache"/> compares them by dominance instead.</item>
/// </list>
/// The hash is the XOR of a random word per distinct member, maintained in O(1).
/// </summary>
internal sealed class LinearizedSet
{
    private readonly OpClass[] _class;
    private readonly bool[] _isOk;
    private readonly int[] _rank;
    private readonly ulong[] _zobrist;
    private readonly ulong[] _okBits;
    private readonly ulong[] _unknownBits;
    private ulong[] _key;
    private ulong _distinctHash;
    private int _watermark;
    private int _unreadPuts;
    private int _unknownDeletes;

    /// <param name="history">The key's history.</param>
    /// <param name="relaxed">Interchangeable unknown ops are reusable and not counted (see <see cref="WglSearch.Run"/>).</param>
    public LinearizedSet(KeyHistory history, bool relaxed)
    {
        var operations = history.Operations;
        int n = operations.Length;
        _class = new OpClass[n];
        _isOk = new bool[n];
        _rank = new int[n];
        _zobrist = new ulong[n];
        var okByReturn = Enumerable.Range(0, n)
            .Where(op => operations[op].Outcome == OpOutcome.Ok)
            .OrderBy(op => operations[op].ReturnTime)
            .ThenBy(op => op)
            .ToArray();
        for (int r = 0; r < okByReturn.Length; r++)
        {
            _rank[okByReturn[r]] = r;
        }

        int distinctUnknown = 0;
        for (int op = 0; op < n; op++)
        {
            _class[op] = history.ClassOf(op);
            if (relaxed && _class[op] != OpClass.Distinct)
            {
                _class[op] = OpClass.Reusable;
            }

            _isOk[op] = operations[op].Outcome == OpOutcome.Ok;
            _zobrist[op] = StateCache.RandomWord(op);
            if (operations[op].Outcome == OpOutcome.Unknown && _class[op] == OpClass.Distinct)
            {
                _rank[op] = distinctUnknown++;
            }
        }

        OkCount = okByReturn.Length;
        _okBits = new ulong[(OkCount + 64) / 64];
        _unknownBits = new ulong[(distinctUnknown + 63) / 64];
        _key = new ulong[1 + _unknownBits.Length + 8];
    }

    public int OkCount { get; }

    public int OkLinearized { get; private set; }

    public ulong Hash => _distinctHash;

    /// <summary>How many unknown ops of each interchangeable group are linearized: unread puts | deletes &lt;&lt; 32.</summary>
    public ulong GroupCounts => (uint)_unreadPuts | ((ulong)(uint)_unknownDeletes << 32);

    /// <summary>How many ops of <paramref name="group"/> are linearized.</summary>
    public int Used(OpClass group) => group switch
    {
        OpClass.UnreadUnknownPut => _unreadPuts,
        OpClass.UnknownDelete => _unknownDeletes,
        _ => 0,
    };

    public void Add(int op)
    {
        switch (_class[op])
        {
            case OpClass.Reusable:
                return;
            case OpClass.UnreadUnknownPut:
                _unreadPuts++;
                return;
            case OpClass.UnknownDelete:
                _unknownDeletes++;
                return;
        }

        _distinctHash ^= _zobrist[op];
        int r = _rank[op];
        if (!_isOk[op])
        {
            _unknownBits[r >> 6] |= 1UL << r;
            return;
        }

        _okBits[r >> 6] |= 1UL << r;
        OkLinearized++;
        while (_watermark < OkCount && (_okBits[_watermark >> 6] & (1UL << _watermark)) != 0)
        {
            _watermark++;
        }
    }

    public void Remove(int op)
    {
        switch (_class[op])
        {
            case OpClass.Reusable:
                return;
            case OpClass.UnreadUnknownPut:
                _unreadPuts--;
                return;
            case OpClass.UnknownDelete:
                _unknownDeletes--;
                return;
        }

        _distinctHash ^= _zobrist[op];
        int r = _rank[op];
        if (!_isOk[op])
        {
            _unknownBits[r >> 6] &= ~(1UL << r);
            return;
        }

        _okBits[r >> 6] &= ~(1UL << r);
        OkLinearized--;
        _watermark = Math.Min(_watermark, r);
    }

    /// <summary>
    /// The key: [watermark | ok count above it], the ok ranks above the watermark (two per word),
    /// the distinct-unknown bitset.
    /// </summary>
    public ReadOnlySpan<ulong> Key()
    {
        int above = OkLinearized - _watermark;
        int ranks = (above + 1) / 2;
        int length = 1 + ranks + _unknownBits.Length;
        if (_key.Length < length)
        {
            _key = new ulong[length * 2];
        }

        _key[0] = (uint)_watermark | ((ulong)(uint)above << 32);
        int found = 0;
        for (int word = (_watermark + 1) >> 6; found < above; word++)
        {
            ulong bits = _okBits[word];
            while (bits != 0 && found < above)
            {
                int r = (word << 6) + System.Numerics.BitOperations.TrailingZeroCount(bits);
                bits &= bits - 1;
                if (r > _watermark)
                {
                    int slot = 1 + (found >> 1);
                    _key[slot] = (found & 1) == 0 ? (uint)r : _key[slot] | ((ulong)(uint)r << 32);
                    found++;
                }
            }
        }

        _unknownBits.CopyTo(_key.AsSpan(1 + ranks));
        return _key.AsSpan(0, length);
    }
}
