using System.Globalization;

namespace ShardedKvs.Client.Caching;

/// <summary>
/// One cache entry as stored: the store holds Unicode text, so the bytes travel as base64 inside a
/// small envelope that also carries the expiry: <c>1|written|absolute|sliding|base64</c> (Unix
/// milliseconds; absolute and sliding empty when not set).
/// </summary>
internal sealed record CacheEntry(byte[] Value, long WrittenAtMs, long? AbsoluteExpiryMs, long? SlidingMs)
{
    private const string Version = "1";

    /// <summary>True when the entry is past its absolute expiry, or idle longer than its window since <paramref name="lastAccessMs"/>.</summary>
    public bool IsExpired(long nowMs, long? lastAccessMs)
    {
        if (nowMs >= AbsoluteExpiryMs)
        {
            return true;
        }

        return SlidingMs is { } window && nowMs >= Math.Max(WrittenAtMs, lastAccessMs ?? WrittenAtMs) + window;
    }

    public string Encode() => string.Join('|',
        Version,
        WrittenAtMs.ToString(CultureInfo.InvariantCulture),
        AbsoluteExpiryMs?.ToString(CultureInfo.InvariantCulture) ?? "",
        SlidingMs?.ToString(CultureInfo.InvariantCulture) ?? "",
        Convert.ToBase64String(Value));

    /// <summary>The entry in <paramref name="text"/>, or null when it is not one this cache wrote (then it reads as a miss).</summary>
    public static CacheEntry? TryDecode(string text)
    {
        string[] parts = text.Split('|');
        if (parts.Length != 5 || parts[0] != Version || !long.TryParse(parts[1], CultureInfo.InvariantCulture, out long written))
        {
            return null;
        }

        if (!TryParseOptional(parts[2], out long? absolute) || !TryParseOptional(parts[3], out long? sliding))
        {
            return null;
        }

        try
        {
            return new CacheEntry(Convert.FromBase64String(parts[4]), written, absolute, sliding);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Parses a last-access stamp (the touch key's value).</summary>
    public static long? TryParseStamp(string? text) =>
        long.TryParse(text, CultureInfo.InvariantCulture, out long stamp) ? stamp : null;

    private static bool TryParseOptional(string text, out long? value)
    {
        value = null;
        if (text.Length == 0)
        {
            return true;
        }

        if (!long.TryParse(text, CultureInfo.InvariantCulture, out long parsed))
        {
            return false;
        }

        value = parsed;
        return true;
    }
}
