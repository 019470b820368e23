using System.Collections.Concurrent;

namespace ShardedKvs.Tests.Client;

/// <summary>
/// What a reader may see of each key, from the writes a client made: the last acknowledged value, or
/// a value written after it whose outcome was unknown (it may have landed). Once such a value is
/// read it counts as landed, so an older one may not come back. Each key is written and read by one
/// worker at a time; the dictionary makes keys of different workers safe to record concurrently.
/// </summary>
internal sealed class WriteLedger
{
    private readonly ConcurrentDictionary<string, KeyHistory> _keys = new();

    public IEnumerable<string> Keys => _keys.Keys;

    public void Acknowledged(string key, string value) => History(key).Acknowledge(value);

    public void Unknown(string key, string value) => History(key).AddUnknown(value);

    /// <summary>Whether <paramref name="read"/> is a value the key may hold now; records what it proves.</summary>
    public bool Accepts(string key, string? read) => History(key).Accept(read);

    public string Describe(string key) => History(key).ToString();

    private KeyHistory History(string key) => _keys.GetOrAdd(key, _ => new KeyHistory());

    private sealed class KeyHistory
    {
        private readonly List<string> _unknownSince = [];
        private string? _acknowledged;

        public void Acknowledge(string value)
        {
            _acknowledged = value;
            _unknownSince.Clear();
        }

        public void AddUnknown(string value) => _unknownSince.Add(value);

        public bool Accept(string? read)
        {
            if (read == _acknowledged)
            {
                return true;
            }

            int landed = read is null ? -1 : _unknownSince.IndexOf(read);
            if (landed < 0)
            {
                return false;
            }

            _acknowledged = read;
            _unknownSince.RemoveRange(0, landed + 1);
            return true;
        }

        public override string ToString() =>
            $"acknowledged {_acknowledged ?? "nothing"}" + (_unknownSince.Count > 0 ? $", maybe {string.Join(" or ", _unknownSince)}" : "");
    }
}
