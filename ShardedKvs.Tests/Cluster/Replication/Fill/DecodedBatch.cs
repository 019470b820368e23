using System.Diagnostics.CodeAnalysis;
using System.Text;
using ShardedKvs.Node.Cluster.Replication.Fill;

namespace ShardedKvs.Tests.Cluster.Replication.Fill;

/// <summary>One entry of a batch as the tests compare it: the key as a string, a copy of the value.</summary>
public readonly record struct FillEntry(string Key, long Version, ReadOnlyMemory<byte> Value);

/// <summary>A whole batch read the learner's way (<see cref="FillBatchReader.TryCheck"/>, then
/// <see cref="FillBatchReader.EntriesOf"/>), into entries a test can keep.</summary>
public static class DecodedBatch
{
    public static bool TryRead(ReadOnlyMemory<byte> body, [NotNullWhen(true)] out List<FillEntry>? entries, [NotNullWhen(false)] out string? error)
    {
        entries = null;
        if (!FillBatchReader.TryCheck(body.Span, out int count, out error))
        {
            return false;
        }

        entries = new List<FillEntry>(count);
        foreach (FillBatchReader.Entry entry in FillBatchReader.EntriesOf(body.Span))
        {
            entries.Add(new FillEntry(Encoding.UTF8.GetString(entry.KeyUtf8), entry.Version, entry.Value.ToArray()));
        }

        return true;
    }
}
