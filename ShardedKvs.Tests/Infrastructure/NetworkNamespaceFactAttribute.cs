namespace ShardedKvs.Tests.Infrastructure;

/// <summary>
/// A test that creates network namespaces: it needs root and iproute2's `ip`, and whatever other
/// tools it names (`iptables` for a lossy network). Where one is missing the test is reported as
/// skipped with the reason, not failed (`.ci/run` runs as root and installs them, so there it always runs).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class NetworkNamespaceFactAttribute : FactAttribute
{
    public NetworkNamespaceFactAttribute(params string[] tools)
    {
        if (MissingPrerequisite(tools) is { } reason)
        {
            Skip = reason;
        }
    }

    /// <summary>Why namespace tests cannot run here, or null when they can.</summary>
    public static string? MissingPrerequisite(params string[] tools)
    {
        if (!OperatingSystem.IsLinux())
        {
            return "needs Linux network namespaces";
        }

        if (EffectiveUserId() != 0)
        {
            return "needs root to create network namespaces (run as root, as .ci/run does)";
        }

        if (!IsOnPath("ip"))
        {
            return "needs iproute2's `ip` (apt-get install iproute2, as .ci/run does)";
        }

        return tools.FirstOrDefault(tool => !IsOnPath(tool)) is { } missing
            ? $"needs `{missing}` (apt-get install {missing}, as .ci/run does)"
            : null;
    }

    public static bool IsOnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Any(dir => File.Exists(Path.Combine(dir, tool)));

    private static int EffectiveUserId()
    {
        // "Uid:\treal\teffective\tsaved\tfs" in /proc/self/status.
        string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        string[] fields = line?.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries) ?? [];
        return fields.Length > 2 && int.TryParse(fields[2], out int uid) ? uid : -1;
    }
}
