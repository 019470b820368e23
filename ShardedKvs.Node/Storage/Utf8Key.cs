using System.Buffers;
using System.Text;

namespace ShardedKvs.Node.Storage;

/// <summary>
/// A key's UTF-8 bytes for one store operation: in the caller's stack buffer when they fit, in a
/// rented array otherwise, so a lookup allocates nothing. Encoding is strict: a string with a lone
/// surrogate has no UTF-8 form, and replacing it (as <see cref="Encoding.UTF8"/> does) would make
/// two different keys one.
/// </summary>
internal ref struct Utf8Key
{
    public const int StackBytes = 256;

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private byte[]? _rented;

    public Utf8Key(string key, Span<byte> stackBuffer)
    {
        Span<byte> buffer = stackBuffer;
        if (Strict.GetMaxByteCount(key.Length) > stackBuffer.Length)
        {
            int length = Strict.GetByteCount(key);
            if (length > stackBuffer.Length)
            {
                _rented = ArrayPool<byte>.Shared.Rent(length);
                buffer = _rented;
            }
        }

        Bytes = buffer[..Strict.GetBytes(key, buffer)];
    }

    public ReadOnlySpan<byte> Bytes { get; }

    public void Dispose()
    {
        if (_rented is not null)
        {
            ArrayPool<byte>.Shared.Return(_rented);
            _rented = null;
        }
    }
}
