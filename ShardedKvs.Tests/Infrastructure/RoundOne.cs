namespace ShardedKvs.Tests.Infrastructure;

/// <summary>
/// Settings that run a node with one copy per key (<c>Kvs:ReplicationFactor</c> = 1): round one's
/// protocol, still supported, with its prepare/migrate/commit view changes, its 503 for a dead owner's
/// keys and its view-membership checks on internal calls. The tests of that protocol's own behaviour
/// use these; everything else runs the default, three copies.
/// </summary>
public static class RoundOne
{
    /// <summary>In-process node settings (configuration keys), with <paramref name="more"/> on top.</summary>
    public static Dictionary<string, string?> Settings(IDictionary<string, string?>? more = null)
    {
        var settings = more is null ? [] : new Dictionary<string, string?>(more);
        settings["Kvs:ReplicationFactor"] = "1";
        return settings;
    }

    /// <summary>A node process's environment, with <paramref name="more"/> on top.</summary>
    public static Dictionary<string, string> Environment(IDictionary<string, string>? more = null)
    {
        var settings = more is null ? [] : new Dictionary<string, string>(more);
        settings["Kvs__ReplicationFactor"] = "1";
        return settings;
    }
}
