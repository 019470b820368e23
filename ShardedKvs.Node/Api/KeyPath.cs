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
        if (query >= 0)
        {
            encoded = encoded[..query];
        }

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
