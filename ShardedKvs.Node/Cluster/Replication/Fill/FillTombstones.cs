using System.Collections.Concurrent;
using System.Text;

namespace ShardedKvs.Node.Cluster.Replication.Fill;

/// <summary>
/// The deletes a learner applied while a fill runs. The store keeps no tombstones, so without this a
/// copy of a key read by its primary before a delete, arriving after the delete, would bring the key
/// back. Remembered by the replica's apply path when it applies a replicated delete, consulted by
/// <see cref="FillTarget"/> before it applies a copied key, cleared when the fill ends.
/// </summary>
/// <remarks>
/// Concurrency: <see cref="Remember"/> and <see cref="Covers"/> for one key are called under that
/// key's stripe (<see cref="Requests.KeysInFlight.StripeFor"/>), which orders a delete against a copy
/// of the same key; the concurrent dictionary only keeps different keys from colliding.
/// </remarks>
public sealed class FillTombstones
{
    private readonly ConcurrentDictionary<string, long> _deletes;
    private readonly ConcurrentDictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> _byChars;

    public FillTombstones()
    {
        _deletes = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        _byChars = _deletes.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>How many keys have a remembered delete.</summary>
    public int Count => _deletes.Count;

    /// <summary>Remembers that the key was deleted at <paramref name="version"/> (keeps the newest
    /// delete of the key). Under the key's stripe.</summary>
    public void Remember(string key, long version) =>
        _deletes.AddOrUpdate(key, static (_, deleted) => deleted, static (_, known, deleted) => Math.Max(known, deleted), version);

    /// <summary>Whether a delete at least as new as <paramref name="version"/> was remembered for the
    /// key: a copy at that version must not be applied. Under the key's stripe.</summary>
    public bool Covers(string key, long version) => _deletes.TryGetValue(key, out long deleted) && deleted >= version;

    /// <summary>Like <see cref="Covers(string, long)"/>, by the key's UTF-8 bytes (valid UTF-8): a
    /// learner applies a batch's keys from its body without a string per key.</summary>
    public bool Covers(ReadOnlySpan<byte> keyUtf8, long version)
    {
        const int StackChars = 256;
        Span<char> chars = keyUtf8.Length <= StackChars ? stackalloc char[StackChars] : new char[keyUtf8.Length]; // never more chars than bytes
        int length = Encoding.UTF8.GetChars(keyUtf8, chars);
        return _byChars.TryGetValue(chars[..length], out long deleted) && deleted >= version;
    }

    /// <summary>Forgets every delete: the fill ended (switched or was replaced by a newer one).</summary>
    public void Clear() => _deletes.Clear();
}
