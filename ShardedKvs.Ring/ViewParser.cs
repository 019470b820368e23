using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace ShardedKvs.Ring;

/// <summary>Parses a view ("h1:p1,h2:p2") into its ordered, distinct addresses, or says what is wrong.</summary>
public static class ViewParser
{
    public const int MaxNodes = 256;
    public const int MaxAddressLength = 255;

    public static bool TryParse(
        string? text,
        out ImmutableArray<string> nodes,
        [NotNullWhen(false)] out string? error)
    {
        nodes = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "View is empty";
            return false;
        }

        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length > MaxNodes)
        {
            error = $"View has more than {MaxNodes} nodes";
            return false;
        }

        var builder = ImmutableArray.CreateBuilder<string>(parts.Length);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (string part in parts)
        {
            if (part.Length > MaxAddressLength)
            {
                error = $"Address longer than {MaxAddressLength} characters in view: '{Truncate(part)}'";
                return false;
            }

            if (!IsValidAddress(part))
            {
                error = $"Invalid address in view: '{Truncate(part)}' (expected host:port)";
                return false;
            }

            if (!seen.Add(part))
            {
                error = $"Duplicate address in view: '{part}'";
                return false;
            }

            builder.Add(part);
        }

        nodes = builder.MoveToImmutable();
        error = null;
        return true;
    }

    public static bool IsValidAddress(string address)
    {
        if (address.Length is 0 or > MaxAddressLength)
        {
            return false;
        }

        int colon = address.LastIndexOf(':');
        if (colon <= 0 || colon == address.Length - 1)
        {
            return false;
        }

        ReadOnlySpan<char> host = address.AsSpan(0, colon);
        ReadOnlySpan<char> port = address.AsSpan(colon + 1);
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int portNumber)
            || portNumber is < 1 or > 65535)
        {
            return false;
        }

        if (host[0] == '[')
        {
            // IPv6 literal in brackets: [::1]:13801
            return host.Length > 2 && host[^1] == ']' && System.Net.IPAddress.TryParse(host[1..^1], out _);
        }

        foreach (char c in host)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_'))
            {
                return false;
            }
        }

        return true;
    }

    private static string Truncate(string text) => text.Length <= 64 ? text : string.Concat(text.AsSpan(0, 64), "...");
}
