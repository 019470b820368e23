using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace ShardedKvs.Node.Cluster.Replication.Fill;

/// <summary>Reads a whole batch (<see cref="FillBatchFormat"/>) or says what is wrong with it: every
/// length is checked against what is left of the body before it is used.</summary>
public static class FillBatchReader
{
    public static bool TryRead(ReadOnlyMemory<byte> body, [NotNullWhen(true)] out List<FillEntry>? entries, [NotNullWhen(false)] out string? error)
    {
        entries = null;
        ReadOnlySpan<byte> span = body.Span;
        if (span.Length < FillBatchFormat.HeaderBytes)
        {
            error = $"A fill batch starts with {FillBatchFormat.HeaderBytes} header bytes (got {span.Length})";
            return false;
        }

        if (span[0] != FillBatchFormat.Version1)
        {
            error = $"Unknown fill batch format {span[0]} (this node reads {FillBatchFormat.Version1})";
            return false;
        }

        uint count = BinaryPrimitives.ReadUInt32LittleEndian(span[1..]);
        if (count > (uint)((span.Length - FillBatchFormat.HeaderBytes) / FillBatchFormat.MinEntryBytes))
        {
            error = $"The batch claims {count} entries, more than its {span.Length} bytes can hold";
            return false;
        }

        var read = new List<FillEntry>((int)count);
        int position = FillBatchFormat.HeaderBytes;
        for (int i = 0; i < count; i++)
        {
            if (!TryReadEntry(body, ref position, out FillEntry entry, out string? problem))
            {
                error = string.Create(CultureInfo.InvariantCulture, $"Entry {i}: {problem}");
                return false;
            }

            read.Add(entry);
        }

        if (position != span.Length)
        {
            error = $"{span.Length - position} bytes follow the last of the {count} entries";
            return false;
        }

        entries = read;
        error = null;
        return true;
    }

    private static bool TryReadEntry(ReadOnlyMemory<byte> body, ref int position, out FillEntry entry, [NotNullWhen(false)] out string? error)
    {
        entry = default;
        ReadOnlySpan<byte> rest = body.Span[position..];
        if (rest.Length < FillBatchFormat.EntryOverheadBytes)
        {
            error = "the body ends inside the entry";
            return false;
        }

        int keyLength = BinaryPrimitives.ReadUInt16LittleEndian(rest);
        if (keyLength == 0)
        {
            error = "empty key";
            return false;
        }

        if (rest.Length < FillBatchFormat.EntryOverheadBytes + keyLength)
        {
            error = "the key runs past the end of the body";
            return false;
        }

        ReadOnlyMemory<byte> key = body.Slice(position + sizeof(ushort), keyLength);
        if (!Utf8.IsValid(key.Span))
        {
            error = "the key is not valid UTF-8";
            return false;
        }

        int at = sizeof(ushort) + keyLength;
        long version = BinaryPrimitives.ReadInt64LittleEndian(rest[at..]);
        if (version < 0)
        {
            error = "negative version";
            return false;
        }

        at += sizeof(long);
        uint valueLength = BinaryPrimitives.ReadUInt32LittleEndian(rest[at..]);
        at += sizeof(uint);
        if (valueLength > (uint)(rest.Length - at))
        {
            error = "the value runs past the end of the body";
            return false;
        }

        entry = new FillEntry(Encoding.UTF8.GetString(key.Span), key, version, body.Slice(position + at, (int)valueLength));
        position += at + (int)valueLength;
        error = null;
        return true;
    }
}
