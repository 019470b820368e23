namespace ShardedKvs.Linearizability;

/// <summary>
/// The doubly linked lists the WGL search walks, as flat arrays (dancing links: a lifted node keeps
/// its own links, so lifts undone in reverse order restore the list exactly).
/// <list type="bullet">
/// <item>The main list: call and return events of ok ops and calls of unknown puts of values some
/// get read (no return: they return at +infinity), sorted by time with calls before returns at
/// equal times, so touching intervals count as concurrent.</item>
/// <item>One list per group of interchangeable unknown ops (<see cref="OpClass"/>), sorted by call.</item>
/// </list>
/// </summary>
internal sealed class EventLists
{
    public const int None = -1;

    private readonly int[] _heads = new int[3];
    private readonly int[] _next;
    private readonly int[] _prev;
    private readonly int[] _opOf;
    private readonly long[] _time;
    private readonly bool[] _isReturn;
    private readonly OpClass[] _listOf;
    private readonly int[] _matchOf;

    public EventLists(KeyHistory history)
    {
        var operations = history.Operations;
        var main = MainEvents(history);
        var groups = new[] { OpClass.UnreadUnknownPut, OpClass.UnknownDelete }
            .Select(group => (Group: group, Ops: Enumerable.Range(0, operations.Length)
                .Where(op => history.ClassOf(op) == group)
                .OrderBy(op => operations[op].CallTime)
                .ThenBy(op => op)
                .ToList()))
            .ToArray();
        int count = main.Count + groups.Sum(g => g.Ops.Count);
        _next = new int[count + _heads.Length];
        _prev = new int[count + _heads.Length];
        _opOf = new int[count];
        _time = new long[count];
        _isReturn = new bool[count];
        _listOf = new OpClass[count];
        _matchOf = new int[count];
        Array.Fill(_matchOf, None);

        var callNode = new int[operations.Length];
        for (int node = 0; node < main.Count; node++)
        {
            (_time[node], _isReturn[node], _opOf[node]) = main[node];
            if (_isReturn[node])
            {
                _matchOf[callNode[_opOf[node]]] = node;
            }
            else
            {
                callNode[_opOf[node]] = node;
            }
        }

        Chain(OpClass.Distinct, 0, main.Count);
        int start = main.Count;
        foreach (var (group, ops) in groups)
        {
            for (int i = 0; i < ops.Count; i++)
            {
                _opOf[start + i] = ops[i];
                _time[start + i] = operations[ops[i]].CallTime;
            }

            Chain(group, start, ops.Count);
            start += ops.Count;
        }

    }

    /// <summary>The first node of a list (<see cref="OpClass.Distinct"/> is the main list), or None.</summary>
    public int First(OpClass list) => _next[_heads[(int)list]];

    public int Next(int node) => _next[node];

    public int OpOf(int node) => _opOf[node];

    public long TimeOf(int node) => _time[node];

    public bool IsReturn(int node) => _isReturn[node];

    public OpClass ListOf(int node) => _listOf[node];

    /// <summary>Removes a call node and its return node, if any.</summary>
    public void Lift(int call)
    {
        Unlink(call);
        int ret = _matchOf[call];
        if (ret != None)
        {
            Unlink(ret);
        }
    }

    /// <summary>Undoes <see cref="Lift"/>; lifts must be undone in reverse order.</summary>
    public void Unlift(int call)
    {
        int ret = _matchOf[call];
        if (ret != None)
        {
            Relink(ret);
        }

        Relink(call);
    }

    /// <summary>Main-list events sorted by time, calls first at equal times; among calls with no return between them, ok ops first.</summary>
    private static List<(long Time, bool IsReturn, int Op)> MainEvents(KeyHistory history)
    {
        var ops = history.Operations;
        var events = new List<(long Time, bool IsReturn, int Op)>(ops.Length * 2);
        for (int op = 0; op < ops.Length; op++)
        {
            if (history.ClassOf(op) == OpClass.Distinct)
            {
                events.Add((ops[op].CallTime, false, op));
                if (ops[op].Outcome == OpOutcome.Ok)
                {
                    events.Add((ops[op].ReturnTime, true, op));
                }
            }
        }

        events.Sort((a, b) =>
        {
            int byTime = a.Time.CompareTo(b.Time);
            return byTime != 0 ? byTime : a.IsReturn != b.IsReturn ? (a.IsReturn ? 1 : -1) : a.Op.CompareTo(b.Op);
        });

        // Only a call's position relative to returns matters, so a run of calls may be reordered:
        // unknown ones, which are usually best left out, go last.
        for (int start = 0; start < events.Count;)
        {
            int end = start;
            while (end < events.Count && !events[end].IsReturn)
            {
                end++;
            }

            if (end - start > 1)
            {
                var run = events.GetRange(start, end - start);
                run.Sort((a, b) =>
                {
                    int byOutcome = history.Ops[a.Op].IsUnknown.CompareTo(history.Ops[b.Op].IsUnknown);
                    return byOutcome != 0 ? byOutcome : a.Time != b.Time ? a.Time.CompareTo(b.Time) : a.Op.CompareTo(b.Op);
                });
                for (int i = 0; i < run.Count; i++)
                {
                    events[start + i] = run[i];
                }
            }

            start = end == start ? end + 1 : end;
        }

        return events;
    }

    private void Chain(OpClass list, int start, int count)
    {
        int head = _listOf.Length + (int)list;
        _heads[(int)list] = head;
        _next[head] = count == 0 ? None : start;
        _prev[head] = None;
        for (int node = start; node < start + count; node++)
        {
            _listOf[node] = list;
            _next[node] = node + 1 < start + count ? node + 1 : None;
            _prev[node] = node == start ? head : node - 1;
        }
    }

    private void Unlink(int node)
    {
        _next[_prev[node]] = _next[node];
        if (_next[node] != None)
        {
            _prev[_next[node]] = _prev[node];
        }
    }

    private void Relink(int node)
    {
        _next[_prev[node]] = node;
        if (_next[node] != None)
        {
            _prev[_next[node]] = node;
        }
    }
}
