using System.Globalization;
using ShardedKvs.Node.Cluster.Peers;

namespace ShardedKvs.Node.Cluster.Replication.Fill;

/// <summary>
/// Which fill a batch belongs to: <c>POST /internal/fill/batch?fill=N</c>, N the epoch the fill began
/// at. A learner applies copies only of the fill it runs: a copy of a newer fill it has not adopted
/// yet would be dropped as a leftover when it does (so the key would end on one copy too few), and a
/// copy of a fill that was replaced follows a placement no longer current.
/// </summary>
public static class FillBatchQuery
{
    public const string Name = "fill";

    public static string TargetFor(long fillEpoch) =>
        string.Create(CultureInfo.InvariantCulture, $"{PeerRoutes.FillBatch.Path}?{Name}={fillEpoch}");

    public static bool TryRead(string? value, out long fillEpoch) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out fillEpoch) && fillEpoch > 0;
}
