using System.Buffers.Binary;
using System.Text;
using ShardedKvs.Node.Cluster.Replication.Fill;

namespace ShardedKvs.Tests.Cluster.Replication.Fill;

/// <summary>The fill batch's binary format: what is written reads back, and every way a body can be
/// cut short, padded or lie about its lengths is refused with a reason.</summary>
public sealed class FillBatchCodecTests
{
    private static byte[] Encode(params (string Key, long Version, string Value)[] entries)
    {
        var writer = new FillBatchWriter(1000, 1 << 20);
        foreach ((string key, long version, string value) in entries)
        {
            Assert.True(writer.TryAdd(key, version, Encoding.UTF8.GetBytes(value)));
        }

        return writer.Build().Body.ToArray();
    }

    [Fact]
    public void What_is_written_reads_back()
    {
        byte[] body = Encode(("a", 1, "x"), ("ключ-🔑", long.MaxValue, ""), ("k", 0, new string('v', 70_000)));

        Assert.True(DecodedBatch.TryRead(body, out List<FillEntry>? entries, out string? error), error);
        Assert.Equal(["a", "ключ-🔑", "k"], entries.Select(e => e.Key));
        Assert.Equal([1L, long.MaxValue, 0L], entries.Select(e => e.Version));
        Assert.Equal(["x", "", new string('v', 70_000)], entries.Select(e => Encoding.UTF8.GetString(e.Value.Span)));
    }

    [Fact]
    public void An_empty_batch_reads_as_no_entries()
    {
        Assert.True(DecodedBatch.TryRead(Encode(), out List<FillEntry>? entries, out _));
        Assert.Empty(entries);
    }

    [Fact]
    public void The_writer_keeps_a_batch_within_its_keys_and_bytes_but_always_takes_a_first_entry()
    {
        var writer = new FillBatchWriter(maxKeys: 2, maxBytes: 100);
        Assert.True(writer.TryAdd("big", 1, new byte[500]));
        Assert.False(writer.TryAdd("next", 1, new byte[1]));
        Assert.Single(DecodedBatch.TryRead(writer.Build().Body, out List<FillEntry>? first, out _) ? first : []);

        Assert.True(writer.TryAdd("a", 1, new byte[10]));
        Assert.True(writer.TryAdd("b", 1, new byte[10]));
        Assert.True(writer.IsFull);
        Assert.False(writer.TryAdd("c", 1, new byte[10]));
        Assert.Equal(2, writer.Build().Keys);
    }

    [Fact]
    public void A_built_batch_stays_whole_until_the_next_entry_and_the_next_batch_holds_only_its_own()
    {
        var writer = new FillBatchWriter(maxKeys: 10, maxBytes: 1 << 20);
        Assert.True(writer.TryAdd("a", 1, "x"u8));
        Assert.True(writer.TryAdd("b", 2, "y"u8));
        FillBatch first = writer.Build();
        Assert.Equal(0, writer.Count);
        Assert.False(writer.IsFull);
        Assert.True(DecodedBatch.TryRead(first.Body, out List<FillEntry>? firstEntries, out string? error), error);
        Assert.Equal(["a", "b"], firstEntries.Select(e => e.Key));

        Assert.True(writer.TryAdd("c"u8, 3, "z"u8));
        FillBatch second = writer.Build();

        Assert.Equal(1, second.Keys);
        Assert.True(DecodedBatch.TryRead(second.Body, out List<FillEntry>? secondEntries, out error), error);
        FillEntry only = Assert.Single(secondEntries);
        Assert.Equal(("c", 3L, "z"), (only.Key, only.Version, Encoding.UTF8.GetString(only.Value.Span)));
    }

    public static TheoryData<string, byte[]> Malformed()
    {
        byte[] good = Encode(("key", 7, "value"), ("other", 8, "v2"));
        var data = new TheoryData<string, byte[]>
        {
            { "empty body", [] },
            { "header cut short", good[..3] },
            { "unknown format", [2, .. good[1..]] },
            { "last value cut short", good[..^1] },
            { "trailing byte", [.. good, 0] },
            { "cut inside an entry's fixed fields", good[..(5 + 2 + 3 + 4)] },
        };

        byte[] tooMany = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(tooMany.AsSpan(1), 3);
        data.Add("count larger than the entries", tooMany);

        byte[] huge = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(huge.AsSpan(1), uint.MaxValue);
        data.Add("count larger than the body could hold", huge);

        byte[] fewer = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(fewer.AsSpan(1), 1);
        data.Add("count smaller than the entries", fewer);

        byte[] emptyKey = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(emptyKey.AsSpan(5), 0);
        data.Add("empty key", emptyKey);

        byte[] longKey = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(longKey.AsSpan(5), 60_000);
        data.Add("key longer than the body", longKey);

        byte[] badUtf8 = (byte[])good.Clone();
        badUtf8[5 + 2] = 0xC3;
        badUtf8[5 + 2 + 1] = 0x28;
        data.Add("key not UTF-8", badUtf8);

        byte[] negative = (byte[])good.Clone();
        BinaryPrimitives.WriteInt64LittleEndian(negative.AsSpan(5 + 2 + 3), -1);
        data.Add("negative version", negative);

        byte[] longValue = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(longValue.AsSpan(5 + 2 + 3 + 8), uint.MaxValue);
        data.Add("value length past the body", longValue);
        return data;
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void A_malformed_body_is_refused_with_a_reason(string why, byte[] body)
    {
        Assert.False(DecodedBatch.TryRead(body, out List<FillEntry>? entries, out string? error), why);
        Assert.Null(entries);
        Assert.False(string.IsNullOrWhiteSpace(error));
    }
}
