using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http.Features;

namespace ShardedKvs.Node.Api;

/// <summary>
/// Reads the key from the request's raw target and percent-decodes it exactly once. ASP.NET's route
/// values keep "%2F" encoded while decoding "%25", so "a%2Fb" and "a%252Fb" would collide; the raw
/// target gives every key one spelling: "a/b", "a%2Fb" and "a%2fb" are the same key "a/b".
/// Decoding is strict: a '%' that does not start an escape, or escapes that are not UTF-8, are
/// refused rather than kept as literal text (which would make "%ZZ" and "%25ZZ" one key).
/// </summary>
public static class KeyPath
{
    public const string Missing = "Key is missing";
    public const string Malformed = "Key is not a valid percent-encoded UTF-8 string";

    /// <summary>"." and ".." cannot travel as a path segment: URL normalization removes them on the
    /// way to the owner (and before routing, for ".."), so they are refused everywhere.</summary>
    public const string DotSegment = "Key must not be '.' or '..'";

    public static bool TryGetKey(HttpContext context, string prefix, out string key, [NotNullWhen(false)] out string? error)
    {
        key = "";
        ReadOnlySpan<char> path = PathOf(context.Features.Get<IHttpRequestFeature>()?.RawTarget);
        if (!path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            // "/kvs/keys" also reaches the key endpoints (a catch-all may be empty).
            error = path.Equals(prefix.AsSpan(0, prefix.Length - 1), StringComparison.OrdinalIgnoreCase) ? Missing : Malformed;
            return false;
        }

        ReadOnlySpan<char> encoded = path[prefix.Length..];
        if (encoded.IsEmpty)
        {
            error = Missing;
            return false;
        }

        if (!TryDecode(encoded, out key))
        {
            error = Malformed;
            return false;
        }

        if (key is "." or "..")
        {
            error = DotSegment;
            return false;
        }

        error = null;
        return true;
    }

    /// <summary>The path of a raw target: without query or fragment, and without the scheme and
    /// authority of an absolute-form target ("http://host/kvs/keys/k").</summary>
    private static ReadOnlySpan<char> PathOf(string? raw)
    {
        ReadOnlySpan<char> target = raw;
        int scheme = target.IndexOf("://", StringComparison.Ordinal);
        if (!target.StartsWith('/') && scheme > 0)
        {
            ReadOnlySpan<char> afterAuthority = target[(scheme + 3)..];
            int slash = afterAuthority.IndexOf('/');
            target = slash < 0 ? "/" : afterAuthority[slash..];
        }

        int end = target.IndexOfAny('?', '#');
        return end < 0 ? target : target[..end];
    }

    private static bool TryDecode(ReadOnlySpan<char> encoded, out string key)
    {
        key = "";
        if (encoded.IndexOf('%') < 0)
        {
            key = encoded.ToString();
            return true;
        }

        // Each char is at most 3 UTF-8 bytes; an escape (3 chars) is one byte.
        Span<byte> bytes = encoded.Length <= 256 ? stackalloc byte[encoded.Length * 3] : new byte[encoded.Length * 3];
        int length = 0;
        while (!encoded.IsEmpty)
        {
            int percent = encoded.IndexOf('%');
            ReadOnlySpan<char> literal = percent < 0 ? encoded : encoded[..percent];
            length += Encoding.UTF8.GetBytes(literal, bytes[length..]);
            if (percent < 0)
            {
                break;
            }

            if (encoded.Length < percent + 3
                || !byte.TryParse(encoded.Slice(percent + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte escaped))
            {
                return false;
            }

            bytes[length++] = escaped;
            encoded = encoded[(percent + 3)..];
        }

        Span<byte> decoded = bytes[..length];
        if (!Utf8.IsValid(decoded))
        {
            return false;
        }

        key = Encoding.UTF8.GetString(decoded);
        return true;
    }
}
