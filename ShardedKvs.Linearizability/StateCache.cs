namespace ShardedKvs.Linearizability;

/// <summary>
/// Lowe's memo for the WGL search: the (linearized set, register state) nodes already explored.
/// Each entry also holds how many interchangeable unknown ops of each group its set used
/// (<see cref="LinearizedSet.GroupCounts"/>), and once its search finished without success, whether
/// that failure depended on running short of them. A new node is pruned by an entry with the same
/// key and state when:
/// <list type="bullet">
/// <item>the counts are equal (the very same node), or</item>
/// <item>the entry failed without ever being short of unknown ops (it fails whatever the counts), or</item>
/// <item>the entry failed having used no more of either group (it had at least the same options).</item>
/// </list>
/// <para>
/// Open addressing over flat arrays; keys are copied into one arena, so an entry costs its key plus
/// a few words and no object. The caller supplies an incrementally maintained hash of the set, so
/// hashing is O(1); equality compares keys.
/// </para>
/// </summary>
internal sealed class StateCache
{
    private ulong[] _arena = new ulong[4096];
    private int _arenaUsed;
    private ulong[] _hashes = new ulong[256];
    private long[] _states = new long[256];
    private ulong[] _counts = new ulong[256];
    private byte[] _finished = new byte[256];
    private int[] _offsets = new int[256];
    private int[] _lengths = new int[256];
    private int[] _slots = new int[512];
    private int _count;

    public int Count => _count;

    /// <summary>Bytes held by the cache's arrays.</summary>
    public long Bytes => (_arena.LongLength * 8) + (_hashes.LongLength * 33) + (_slots.LongLength * 4);

    /// <summary>Returned by <see cref="TryAdd"/>: pruned by an entry whose failure holds whatever the counts.</summary>
    public const int PrunedForAnyCounts = -1;

    /// <summary>Returned by <see cref="TryAdd"/>: pruned by an entry whose failure depended on its counts.</summary>
    public const int PrunedForTheseCounts = -2;

    private const byte Open = 0;
    private const byte FailedForTheseCounts = 1;
    private const byte FailedForAnyCounts = 2;

    /// <summary>
    /// Adds the node and returns its entry (0 or more), or returns why a recorded entry makes
    /// exploring it pointless (<see cref="PrunedForAnyCounts"/> or <see cref="PrunedForTheseCounts"/>).
    /// </summary>
    public int TryAdd(ReadOnlySpan<ulong> key, ulong setHash, long state, ulong groupCounts)
    {
        ulong hash = Mix(setHash ^ ((ulong)(state + 1) * 0x9E3779B97F4A7C15UL));
        int mask = _slots.Length - 1;
        int slot = (int)(hash & (ulong)mask);
        while (true)
        {
            int entry = _slots[slot] - 1;
            if (entry < 0)
            {
                break;
            }

            // An open entry is on the current path, so its set is smaller: only finished ones match.
            byte finished = _finished[entry];
            if (_hashes[entry] == hash && _states[entry] == state && finished != Open
                && (finished == FailedForAnyCounts || AtMost(_counts[entry], groupCounts))
                && key.SequenceEqual(_arena.AsSpan(_offsets[entry], _lengths[entry])))
            {
                return finished == FailedForAnyCounts ? PrunedForAnyCounts : PrunedForTheseCounts;
            }

            slot = (slot + 1) & mask;
        }

        if (_count == _hashes.Length)
        {
            int capacity = _count * 2;
            Array.Resize(ref _hashes, capacity);
            Array.Resize(ref _states, capacity);
            Array.Resize(ref _counts, capacity);
            Array.Resize(ref _finished, capacity);
            Array.Resize(ref _offsets, capacity);
            Array.Resize(ref _lengths, capacity);
        }

        if (_arenaUsed + key.Length > _arena.Length)
        {
            Array.Resize(ref _arena, Math.Max(_arena.Length * 2, _arenaUsed + key.Length));
        }

        int added = _count++;
        _hashes[added] = hash;
        _states[added] = state;
        _counts[added] = groupCounts;
        _offsets[added] = _arenaUsed;
        _lengths[added] = key.Length;
        key.CopyTo(_arena.AsSpan(_arenaUsed));
        _arenaUsed += key.Length;
        _slots[slot] = added + 1;
        if (_count * 2 > _slots.Length)
        {
            GrowSlots();
        }

        return added;
    }

    /// <summary>
    /// Records that the search below <paramref name="entry"/> finished without success, and whether
    /// that depended on how many unknown ops were left (false: it fails whatever the counts).
    /// </summary>
    public void MarkFailed(int entry, bool dependsOnCounts) =>
        _finished[entry] = dependsOnCounts ? FailedForTheseCounts : FailedForAnyCounts;

    /// <summary>A well-spread 64-bit value for <paramref name="index"/> (SplitMix64).</summary>
    public static ulong RandomWord(int index) => Mix(((ulong)index + 1) * 0x9E3779B97F4A7C15UL);

    private static bool AtMost(ulong counts, ulong than) =>
        (uint)counts <= (uint)than && (counts >> 32) <= (than >> 32);

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private void GrowSlots()
    {
        var slots = new int[_slots.Length * 2];
        int mask = slots.Length - 1;
        for (int entry = 0; entry < _count; entry++)
        {
            int slot = (int)(_hashes[entry] & (ulong)mask);
            while (slots[slot] != 0)
            {
                slot = (slot + 1) & mask;
            }

            slots[slot] = entry + 1;
        }

        _slots = slots;
    }
}
