using System.Diagnostics;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Deployment;

/// <summary>
/// deploy/kubernetes/scale.sh against a stand-in kubectl that records every call: the order is the
/// point (drain before a scale-in, add after a scale-out, never resize when the view change failed).
/// </summary>
public sealed class ScaleScriptTests : IDisposable
{
    private const string ViewChangeJob = "apply -f jobs/view-change.yaml";

    // Answers what scale.sh asks; the Job "completes" unless JOB_FAILS is set.
    private const string FakeKubectl = """
        #!/usr/bin/env bash
        args="$*"
        echo "${args//$DEPLOY_DIR\//}" >> "$CALLS"
        case "$args" in
          "get statefulset kvs -o jsonpath={.spec.replicas}"*) printf '%s' "$CURRENT" ;;
          "create configmap"*) echo "kind: ConfigMap" ;;
          "apply -f -"*) cat > /dev/null ;;
          "wait --for=condition=complete"*) [[ -z "${JOB_FAILS:-}" ]] ;;
          "wait --for=condition=failed"*) [[ -n "${JOB_FAILS:-}" ]] ;;
        esac
        """;

    private readonly string _folder = Directory.CreateTempSubdirectory("kvs-scale-").FullName;

    [Fact]
    public void Scale_in_runs_the_view_change_before_shrinking_the_statefulset()
    {
        (int exit, string[] calls, _) = Run(current: 5, target: 3);

        Assert.Equal(0, exit);
        Assert.Contains("create configmap kvs-scale --from-literal=replicas=3 --dry-run=client -o yaml -n shop", calls);
        Assert.True(IndexOf(calls, ViewChangeJob) < IndexOf(calls, "scale statefulset kvs --replicas=3"), string.Join('\n', calls));
        Assert.Contains("wait --for=condition=Ready pod/kvs-2 --timeout=10m -n shop", calls);
    }

    [Fact]
    public void Scale_out_grows_the_statefulset_before_the_view_change_adds_the_new_pods()
    {
        (int exit, string[] calls, _) = Run(current: 3, target: 5);

        Assert.Equal(0, exit);
        Assert.True(IndexOf(calls, "scale statefulset kvs --replicas=5") < IndexOf(calls, ViewChangeJob), string.Join('\n', calls));
        Assert.Contains("create configmap kvs-scale --from-literal=replicas=5 --dry-run=client -o yaml -n shop", calls);
    }

    [Fact]
    public void A_failed_view_change_resizes_nothing()
    {
        (int exit, string[] calls, string output) = Run(current: 5, target: 3, jobFails: true);

        Assert.NotEqual(0, exit);
        Assert.Contains("the view change failed; nothing was resized", output, StringComparison.Ordinal);
        Assert.DoesNotContain(calls, call => call.StartsWith("scale ", StringComparison.Ordinal));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static int IndexOf(string[] calls, string prefix)
    {
        int index = Array.FindIndex(calls, call => call.StartsWith(prefix, StringComparison.Ordinal));
        Assert.True(index >= 0, $"no call starting with '{prefix}' in:\n{string.Join('\n', calls)}");
        return index;
    }

    private (int Exit, string[] Calls, string Output) Run(int current, int target, bool jobFails = false)
    {
        string kubectl = Path.Combine(_folder, "kubectl");
        File.WriteAllText(kubectl, FakeKubectl.ReplaceLineEndings("\n") + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(kubectl, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        string calls = Path.Combine(_folder, "calls");
        File.Delete(calls);

        var start = new ProcessStartInfo("bash", [RepositoryFiles.PathOf("deploy/kubernetes/scale.sh"), target.ToString(System.Globalization.CultureInfo.InvariantCulture), "-n", "shop"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["PATH"] = $"{_folder}:{Environment.GetEnvironmentVariable("PATH")}";
        start.Environment["CALLS"] = calls;
        start.Environment["CURRENT"] = current.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["DEPLOY_DIR"] = RepositoryFiles.PathOf("deploy/kubernetes");
        if (jobFails)
        {
            start.Environment["JOB_FAILS"] = "1";
        }

        using Process run = Process.Start(start)!;
        Task<string> stderr = run.StandardError.ReadToEndAsync();
        string stdout = run.StandardOutput.ReadToEnd();
        Assert.True(run.WaitForExit(TimeSpan.FromSeconds(60)), "scale.sh did not finish");
        return (run.ExitCode, File.Exists(calls) ? File.ReadAllLines(calls) : [], stdout + stderr.Result);
    }
}
