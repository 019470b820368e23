using System.Buffers;
using System.Text;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace RaftSpike.Node;

/// <summary>
/// Holds the configuration value in memory; DotNext persists its snapshots under the node's data dir.
/// <see cref="Current"/> is an immutable snapshot swapped through a volatile field, so HTTP readers
/// never lock; only DotNext's single applier thread writes it.
/// </summary>
public sealed class ConfigStateMachine(SpikeNodeOptions options)
    : SimpleStateMachine(new DirectoryInfo(Path.Combine(options.DataDir, "snapshots")))
{
    private volatile ConfigValue _current = ConfigValue.Empty;

    public ConfigValue Current => _current;

    protected override ValueTask<bool> ApplyAsync(LogEntry entry, CancellationToken token)
    {
        // Configuration entries and the leader's empty no-op entries carry no value of ours.
        if (entry.IsConfiguration || !entry.TryGetPayload(out ReadOnlySequence<byte> payload) || payload.IsEmpty)
        {
            return ValueTask.FromResult(false);
        }

        ConfigValue previous = _current;
        string text = Encoding.UTF8.GetString(payload);
        long corrupt = previous.CorruptEntries + (IsCorrupt(text) ? 1 : 0);
        _current = new ConfigValue(text, entry.Index, previous.AppliedEntries + 1, corrupt);
        return ValueTask.FromResult(entry.Index % options.SnapshotEvery == 0);
    }

    private static bool IsCorrupt(string text)
    {
        if (!text.StartsWith('#'))
        {
            return false;
        }

        int bar = text.IndexOf('|', StringComparison.Ordinal);
        return bar < 0
            || !int.TryParse(text.AsSpan(1, bar - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int length)
            || length != text.Length - bar - 1;
    }

    protected override ValueTask PersistAsync(IAsyncBinaryWriter writer, CancellationToken token)
    {
        ConfigValue value = _current;
        return writer.Invoke(Encoding.UTF8.GetBytes($"{value.Index}\n{value.Value}"), token);
    }

    protected override async ValueTask RestoreAsync(FileInfo snapshotFile, CancellationToken token)
    {
        string text = await File.ReadAllTextAsync(snapshotFile.FullName, token);
        int newline = text.IndexOf('\n', StringComparison.Ordinal);
        _current = new ConfigValue(text[(newline + 1)..], long.Parse(text[..newline], System.Globalization.CultureInfo.InvariantCulture), 0, 0);
    }
}
