using Microsoft.AspNetCore.Http.Features;

namespace ShardedKvs.Node.Api;

/// <summary>
/// Reads the key from the request's raw target and percent-decodes it exactly once. ASP.NET's route
/// values keep "%2F" encoded while decoding "%25", so "a%2Fb" and "a%252Fb" would collide; the raw
/// target gives every key one spelling: "a/b", "a%2Fb" and "a%2fb" are the same key "a/b".
/// </summary>
public static class KeyPath
{
    public static bool TryGetKey(HttpContext context, string prefix, out string key)
    {
        string? raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        key = "";
        if (raw is null || !raw.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        ReadOnlySpan<char> encoded = raw.AsSpan(prefix.Length);
        int query = encoded.IndexOfAny('?', '#');
        return TryDecode(query >= 0 ? encoded[..query] : encoded, out key);
    }

    /// <summary>The key of a forwarded request, sent as the only query parameter: "?key=...".</summary>
    public static bool TryGetQueryKey(HttpContext context, out string key)
    {
        string? raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        int start = raw?.IndexOf("?key=", StringComparison.Ordinal) ?? -1;
        key = "";
        return start >= 0 && TryDecode(raw.AsSpan(start + "?key=".Length), out key);
    }

    private static bool TryDecode(ReadOnlySpan<char> encoded, out string key)
    {
        key = "";
        if (encoded.IsEmpty)
        {
            return false;
        }

        if (encoded.IndexOf('%') < 0)
        {
            key = encoded.ToString();
            return true;
        }

        try
        {
            key = Uri.UnescapeDataString(encoded.ToString());
        }
        catch (UriFormatException)
        {
            return false;
        }

        // A percent-encoding of invalid UTF-8 decodes to U+FFFD: refuse it rather than store a different key.
        return key.Length > 0 && !key.Contains('\uFFFD', StringComparison.Ordinal);
    }
}
