using System.Buffers;
using System.IO.Hashing;
using System.Text;

namespace ShardedKvs.Ring;

/// <summary>
/// The one hash every node agrees on. XxHash3 of the UTF-8 bytes, so the result is the same in
/// every process and on every machine (unlike <see cref="string.GetHashCode()"/>).
/// </summary>
public static class StableHash
{
    private const int StackLimit = 256;

    public static ulong Of(ReadOnlySpan<byte> utf8) => XxHash3.HashToUInt64(utf8);

    public static ulong Of(string text)
    {
        int maxBytes = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (maxBytes <= StackLimit)
        {
            Span<byte> buffer = stackalloc byte[StackLimit];
            int written = Encoding.UTF8.GetBytes(text, buffer);
            return Of(buffer[..written]);
        }

        byte[] rented = ArrayPool<byte>.Shared.Rent(maxBytes);
        try
        {
            int written = Encoding.UTF8.GetBytes(text, rented);
            return Of(rented.AsSpan(0, written));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The position of node <paramref name="address"/>'s token number <paramref name="index"/>.</summary>
    public static ulong OfToken(string address, int index) => Of(string.Concat(address, "#", index.ToString(System.Globalization.CultureInfo.InvariantCulture)));
}
