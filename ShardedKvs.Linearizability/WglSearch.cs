namespace ShardedKvs.Linearizability;

/// <summary>
/// Wing–Gong linearizability search with Lowe's memoization, as in Porcupine. Call and return events
/// sit in a doubly linked list sorted by time (<see cref="EventLists"/>). Walking from the head, any
/// call met before the first return is a candidate; linearizing one lifts its call and return out
/// of the list and restarts from the head; meeting a return whose op is not linearized means
/// backtracking. A (linearized set, state) node seen before is not explored again
/// (<see cref="StateCache"/>). Unknown-outcome ops have no return event (return = +infinity) and
/// the search succeeds once every ok op is linearized, so they may be linearized anywhere after
/// their call or never.
/// <para>
/// Prunings that keep concurrent reads and unknown writes from multiplying the search; each keeps
/// a linearization whenever one exists (a randomized test checks this against brute force).
/// (1) A callable read-only op (<see cref="RegisterOp.IsReadOnly"/>) accepted in the current state is
/// linearized at once with no alternatives: it can be moved to the front of any completion.
/// (2) An unknown op (always a write) is only useful right before an op it enables, one rejected in
/// the state before it and accepted after it: in a shortest completion, an unknown op followed by
/// a read accepted without it can swap past the read, and one followed by a write accepted without
/// it can be dropped. So the level after an unknown op only tries ops it enables, and is memoized
/// apart from unrestricted levels (its cache key includes the state before the unknown op).
/// (3) Unknown puts of values no get read are interchangeable (they write the same state), and so
/// are unknown deletes: only the earliest-called unused one of each group is tried, a put only when
/// the key is absent and a delete only when it is present (otherwise they enable nothing). The memo
/// then only needs how many of each group are used, and compares those counts by dominance.
/// </para>
/// </summary>
internal sealed class WglSearch
{
    private const int None = EventLists.None;

    /// <summary>Where a level's walk over its alternatives is: main list, then each group, then done.</summary>
    private enum Phase
    {
        Main,
        UnreadPuts,
        UnknownDeletes,
        Exhausted,
    }

    private readonly RegisterOp[] _ops;
    private readonly EventLists _lists;
    private readonly bool _relaxed;
    private readonly LinearizedSet _set;
    private readonly StateCache _cache = new();
    private readonly int[] _stackNode;
    private readonly int[] _stackState;
    private readonly bool[] _stackForced;
    private readonly int[] _stackEntry;
    private readonly bool[] _levelShortOfUnknowns;
    private int _depth;
    private int _state = RegisterModel.Absent;
    private int[] _longest = [];

    private WglSearch(KeyHistory history, bool relaxed)
    {
        _ops = history.Ops;
        _lists = new EventLists(history);
        _relaxed = relaxed;
        _set = new LinearizedSet(history, relaxed);

        // A relaxed search may repeat group ops, but each must enable the next op, a distinct one.
        int maxDepth = relaxed ? 2 * _ops.Length : _ops.Length;
        _stackNode = new int[maxDepth];
        _stackState = new int[maxDepth];
        _stackForced = new bool[maxDepth];
        _stackEntry = new int[maxDepth];
        _levelShortOfUnknowns = new bool[maxDepth + 1];
    }

    /// <summary>True right after an unknown op: only ops it enabled may follow.</summary>
    private bool IsRestricted => _depth > 0 && _ops[_lists.OpOf(_stackNode[_depth - 1])].IsUnknown;

    /// <summary>
    /// Searches for a linearization. With <paramref name="relaxed"/>, ops of the interchangeable
    /// unknown groups may be used any number of times once one is called: a relaxation that only
    /// adds linearizations, so its NotLinearizable is final, and it is much cheaper to refute
    /// because group counts no longer split the memo.
    /// </summary>
    public static SearchOutcome Run(KeyHistory history, CheckerOptions options, bool relaxed = false) =>
        new WglSearch(history, relaxed).Search(options);

    /// <summary>Whether the history has interchangeable unknown ops, i.e. whether a relaxed search differs.</summary>
    public static bool HasUnknownGroups(KeyHistory history) =>
        Enumerable.Range(0, history.Ops.Length).Any(op => history.ClassOf(op) != OpClass.Distinct);

    private SearchOutcome Search(CheckerOptions options)
    {
        long steps = 0;
        bool descended = true;
        var phase = Phase.Main;
        int entry = None;
        while (true)
        {
            if (descended && _set.OkLinearized == _set.OkCount)
            {
                return new SearchOutcome(KeyVerdict.Linearizable, steps, Prefix(_depth), null);
            }

            if (++steps > options.MaxStepsPerKey || _cache.Bytes > options.MaxCacheBytesPerKey)
            {
                string budget = steps > options.MaxStepsPerKey
                    ? $"{options.MaxStepsPerKey} search steps"
                    : $"{options.MaxCacheBytesPerKey / (1024 * 1024)} MiB of memo cache";
                RecordLongest();
                return new SearchOutcome(KeyVerdict.Timeout, steps - 1, _longest, budget);
            }

            // Some ok op is not linearized, so its return event is still in the main list: walks
            // from its head always meet a return before running off the list.
            if (descended)
            {
                descended = false;
                int forced = FindReadOnlyCandidate(ref steps);
                if (forced == None)
                {
                    phase = Phase.Main;
                    entry = _lists.First(OpClass.Distinct);
                }
                else
                {
                    // If (prefix + forced op) was seen before, it failed, and so does this prefix.
                    descended = TryPush(forced, _state, isForced: true);
                    phase = Phase.Exhausted;
                }

                continue;
            }

            switch (phase)
            {
                case Phase.Main when _lists.IsReturn(entry):
                    phase = Phase.UnreadPuts;
                    break;
                case Phase.Main:
                    var op = _ops[_lists.OpOf(entry)];
                    descended = IsAllowed(op) && RegisterModel.Step(_state, op, out int next) && TryPush(entry, next, isForced: false);
                    entry = _lists.Next(entry);
                    break;
                case Phase.UnreadPuts:
                    phase = Phase.UnknownDeletes;
                    descended = _state == RegisterModel.Absent && !IsRestricted && TryGroup(OpClass.UnreadUnknownPut, ref steps);
                    break;
                case Phase.UnknownDeletes:
                    phase = Phase.Exhausted;
                    descended = _state != RegisterModel.Absent && !IsRestricted && TryGroup(OpClass.UnknownDelete, ref steps);
                    break;
                default:
                    RecordLongest();
                    if (!Pop(ref steps, out phase, out entry))
                    {
                        return new SearchOutcome(KeyVerdict.NotLinearizable, steps, _longest, null);
                    }

                    break;
            }
        }
    }

    /// <summary>Whether <paramref name="op"/> may be tried at this level (see pruning 2).</summary>
    private bool IsAllowed(in RegisterOp op) =>
        !IsRestricted || (!op.IsUnknown && !RegisterModel.Step(_stackState[_depth - 1], op, out _));

    /// <summary>A callable read-only op accepted in the current state, or None.</summary>
    private int FindReadOnlyCandidate(ref long steps)
    {
        for (int node = _lists.First(OpClass.Distinct); !_lists.IsReturn(node); node = _lists.Next(node))
        {
            steps++;
            var op = _ops[_lists.OpOf(node)];
            if (op.IsReadOnly && RegisterModel.Step(_state, op, out _))
            {
                return node;
            }
        }

        return None;
    }

    /// <summary>
    /// Tries the earliest-called unused op of a group, if it is callable. When none is (all used,
    /// or the next not yet called), the level notes that it ran short of unknown ops.
    /// </summary>
    private bool TryGroup(OpClass group, ref long steps)
    {
        int node = _lists.First(group);
        if (node == None)
        {
            // Either the group is empty, which no count changes, or all of it is used.
            _levelShortOfUnknowns[_depth] |= !_relaxed && _set.Used(group) > 0;
            return false;
        }

        int firstReturn = _lists.First(OpClass.Distinct);
        while (!_lists.IsReturn(firstReturn))
        {
            steps++;
            firstReturn = _lists.Next(firstReturn);
        }

        if (_lists.TimeOf(node) > _lists.TimeOf(firstReturn))
        {
            _levelShortOfUnknowns[_depth] |= !_relaxed;
            return false;
        }

        return RegisterModel.Step(_state, _ops[_lists.OpOf(node)], out int next) && TryPush(node, next, isForced: false);
    }

    /// <summary>Linearizes the op at <paramref name="node"/> unless the memo shows it cannot succeed.</summary>
    private bool TryPush(int node, int nextState, bool isForced)
    {
        int op = _lists.OpOf(node);
        _set.Add(op);

        // A level after an unknown op is restricted by the state before it, so it is a different node.
        long stateKey = _ops[op].IsUnknown ? nextState + ((_state + 2L) << 32) : nextState;
        int cacheEntry = _cache.TryAdd(_set.Key(), _set.Hash, stateKey, _set.GroupCounts);
        if (cacheEntry < 0)
        {
            _levelShortOfUnknowns[_depth] |= cacheEntry == StateCache.PrunedForTheseCounts;
            _set.Remove(op);
            return false;
        }

        _stackEntry[_depth] = cacheEntry;
        _stackNode[_depth] = node;
        _stackState[_depth] = _state;
        _stackForced[_depth] = isForced;
        _depth++;
        _levelShortOfUnknowns[_depth] = false;
        _state = nextState;
        if (!_relaxed || _lists.ListOf(node) == OpClass.Distinct)
        {
            _lists.Lift(node);
        }

        return true;
    }

    /// <summary>
    /// Undoes linearizations until one whose level has alternatives left; false when the empty
    /// prefix itself has none, i.e. the history is not linearizable.
    /// </summary>
    private bool Pop(ref long steps, out Phase phase, out int entry)
    {
        while (_depth > 0)
        {
            steps++;
            _depth--;
            int node = _stackNode[_depth];
            _state = _stackState[_depth];
            _set.Remove(_lists.OpOf(node));
            if (!_relaxed || _lists.ListOf(node) == OpClass.Distinct)
            {
                _lists.Unlift(node);
            }

            bool shortOfUnknowns = _levelShortOfUnknowns[_depth + 1];
            _cache.MarkFailed(_stackEntry[_depth], shortOfUnknowns);
            _levelShortOfUnknowns[_depth] |= shortOfUnknowns;
            if (_stackForced[_depth])
            {
                continue;
            }

            entry = _lists.Next(node);
            phase = _lists.ListOf(node) switch
            {
                OpClass.Distinct => Phase.Main,
                OpClass.UnreadUnknownPut => Phase.UnknownDeletes,
                _ => Phase.Exhausted,
            };
            if (phase != Phase.Exhausted)
            {
                return true;
            }
        }

        phase = Phase.Exhausted;
        entry = None;
        return false;
    }

    /// <summary>Keeps the deepest prefix seen, without trailing unknown ops (they explain nothing).</summary>
    private void RecordLongest()
    {
        int depth = _depth;
        while (depth > 0 && _ops[_lists.OpOf(_stackNode[depth - 1])].IsUnknown)
        {
            depth--;
        }

        if (depth > _longest.Length)
        {
            _longest = Prefix(depth);
        }
    }

    private int[] Prefix(int depth)
    {
        var prefix = new int[depth];
        for (int i = 0; i < depth; i++)
        {
            prefix[i] = _lists.OpOf(_stackNode[i]);
        }

        return prefix;
    }
}
