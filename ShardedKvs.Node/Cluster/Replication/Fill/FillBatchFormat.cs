namespace ShardedKvs.Node.Cluster.Replication.Fill;

/// <summary>
/// One fill batch, as a lane's fill frame carries it (<see cref="Peers.Lanes.LaneProtocol.WriteFill"/>):
/// binary, so that copying runs at network speed. All integers little-endian:
/// <code>
/// [format: u8 = 1][count: u32]
/// count × [key length: u16, ≥ 1][key: UTF-8][version: i64, ≥ 0][value length: u32][value]
/// </code>
/// Nothing may follow the last entry. The learner checks the whole body before it applies anything
/// (<see cref="FillBatchReader"/>), so a malformed batch changes nothing.
/// </summary>
public static class FillBatchFormat
{
    public const byte Version1 = 1;

    /// <summary>Format byte and count.</summary>
    public const int HeaderBytes = 1 + sizeof(uint);

    /// <summary>Key length, version and value length: the bytes an entry takes besides its key and value.</summary>
    public const int EntryOverheadBytes = sizeof(ushort) + sizeof(long) + sizeof(uint);

    /// <summary>The longest key a batch can carry (the length field is 16 bits).</summary>
    public const int MaxKeyBytes = ushort.MaxValue;

    /// <summary>The smallest entry: a one-byte key and an empty value.</summary>
    public const int MinEntryBytes = EntryOverheadBytes + 1;
}
