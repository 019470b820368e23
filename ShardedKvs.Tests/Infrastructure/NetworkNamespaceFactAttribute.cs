namespace ShardedKvs.Tests.Infrastructure;

/// <summary>
/// A test that creates network namespaces: it needs root and iproute2's `ip`. Where either is
/// missing the test is reported as skipped with the reason, not failed (`.ci/run` runs as root and
/// installs iproute2, so there it always runs).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class NetworkNamespaceFactAttribute : FactAttribute
{
    public NetworkNamespaceFactAttribute()
    {
        if (MissingPrerequisite() is { } reason)
        {
            Skip = reason;
        }
    }

    /// <summary>Why namespace tests cannot run here, or null when they can.</summary>
    public static string? MissingPrerequisite()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "needs Linux network namespaces";
        }

        if (EffectiveUserId() != 0)
        {
            return "needs root to create network namespaces (run as root, as .ci/run does)";
        }

        bool hasIp = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, "ip")));
        return hasIp ? null : "needs iproute2's `ip` (apt-get install iproute2, as .ci/run does)";
    }

    private static int EffectiveUserId()
    {
        // "Uid:\treal\teffective\tsaved\tfs" in /proc/self/status.
        string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        string[] fields = line?.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries) ?? [];
        return fields.Length > 2 && int.TryParse(fields[2], out int uid) ? uid : -1;
    }
}
