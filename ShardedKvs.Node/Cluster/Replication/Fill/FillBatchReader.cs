using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Unicode;

namespace ShardedKvs.Node.Cluster.Replication.Fill;

/// <summary>Reads a whole batch (<see cref="FillBatchFormat"/>) or says what is wrong with it: every
/// length is checked against what is left of the body before it is used. A learner checks the whole
/// batch first (<see cref="TryCheck"/>), so a malformed one applies nothing, then applies its entries
/// as views of the body (<see cref="EntriesOf"/>), with no object per key.</summary>
public static class FillBatchReader
{
    /// <summary>Checks the header and every entry; <paramref name="count"/> is how many entries it holds.</summary>
    public static bool TryCheck(ReadOnlySpan<byte> body, out int count, [NotNullWhen(false)] out string? error)
    {
        count = 0;
        if (body.Length < FillBatchFormat.HeaderBytes)
        {
            error = $"A fill batch starts with {FillBatchFormat.HeaderBytes} header bytes (got {body.Length})";
            return false;
        }

        if (body[0] != FillBatchFormat.Version1)
        {
            error = $"Unknown fill batch format {body[0]} (this node reads {FillBatchFormat.Version1})";
            return false;
        }

        uint claimed = BinaryPrimitives.ReadUInt32LittleEndian(body[1..]);
        if (claimed > (uint)((body.Length - FillBatchFormat.HeaderBytes) / FillBatchFormat.MinEntryBytes))
        {
            error = $"The batch claims {claimed} entries, more than its {body.Length} bytes can hold";
            return false;
        }

        int position = FillBatchFormat.HeaderBytes;
        for (int i = 0; i < claimed; i++)
        {
            if (!TryReadEntry(body, ref position, out EntryPlace place, out string? problem))
            {
                error = string.Create(CultureInfo.InvariantCulture, $"Entry {i}: {problem}");
                return false;
            }

            if (!Utf8.IsValid(body.Slice(place.KeyAt, place.KeyLength)))
            {
                error = string.Create(CultureInfo.InvariantCulture, $"Entry {i}: the key is not valid UTF-8");
                return false;
            }
        }

        if (position != body.Length)
        {
            error = $"{body.Length - position} bytes follow the last of the {claimed} entries";
            return false;
        }

        count = (int)claimed;
        error = null;
        return true;
    }

    /// <summary>The entries of a body <see cref="TryCheck"/> accepted, as views of it.</summary>
    public static Entries EntriesOf(ReadOnlySpan<byte> checkedBody) => new(checkedBody);

    private static bool TryReadEntry(ReadOnlySpan<byte> body, ref int position, out EntryPlace place, [NotNullWhen(false)] out string? error)
    {
        place = default;
        ReadOnlySpan<byte> rest = body[position..];
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

        place = new EntryPlace(position + sizeof(ushort), keyLength, version, position + at, (int)valueLength);
        position += at + (int)valueLength;
        error = null;
        return true;
    }

    private readonly record struct EntryPlace(int KeyAt, int KeyLength, long Version, int ValueAt, int ValueLength);

    /// <summary>One entry of a checked batch: views of its body.</summary>
    public readonly ref struct Entry(ReadOnlySpan<byte> keyUtf8, long version, ReadOnlySpan<byte> value)
    {
        public ReadOnlySpan<byte> KeyUtf8 { get; } = keyUtf8;

        public long Version { get; } = version;

        public ReadOnlySpan<byte> Value { get; } = value;
    }

    /// <summary>Enumerates the entries of a checked batch (a <c>foreach</c> over <see cref="EntriesOf"/>).</summary>
    public ref struct Entries(ReadOnlySpan<byte> checkedBody)
    {
        private readonly ReadOnlySpan<byte> _body = checkedBody;
        private int _position = FillBatchFormat.HeaderBytes;

        public Entry Current { get; private set; }

        public readonly Entries GetEnumerator() => this;

        public bool MoveNext()
        {
            if (_position >= _body.Length)
            {
                return false;
            }

            TryReadEntry(_body, ref _position, out EntryPlace place, out _);
            Current = new Entry(_body.Slice(place.KeyAt, place.KeyLength), place.Version, _body.Slice(place.ValueAt, place.ValueLength));
            return true;
        }
    }
}
