using System.Diagnostics;
using System.Globalization;
using System.Reflection;

namespace RaftSpike.Experiments;

/// <summary>One spike node as a child process (the dotnet process itself, via exec), with its log file.</summary>
public sealed class NodeProcess
{
    private static readonly string Dll = Assembly.GetEntryAssembly()!.Location;
    private readonly Process _process;

    private NodeProcess(int port, string dataDir, string logPath, Process process)
    {
        Port = port;
        DataDir = dataDir;
        LogPath = logPath;
        _process = process;
    }

    public int Port { get; }

    public string DataDir { get; }

    public string LogPath { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public static NodeProcess Start(int port, IEnumerable<string> members, string dataDir, string logPath, string? clusterKey, string? path = null, int? snapshotEvery = null, string extra = "")
    {
        string memberList = string.Join(',', members);
        string arguments = $"node --port {port.ToString(CultureInfo.InvariantCulture)} --data {dataDir}"
            + (memberList.Length > 0 ? $" --members {memberList}" : string.Empty)
            + (clusterKey is null ? string.Empty : $" --key {clusterKey}")
            + (path is null ? string.Empty : $" --path {path}")
            + (snapshotEvery is null ? string.Empty : $" --snapshot-every {snapshotEvery.Value.ToString(CultureInfo.InvariantCulture)}")
            + (extra.Length == 0 ? string.Empty : " " + extra)
            + (Environment.GetEnvironmentVariable("RAFT_SPIKE_ELECTION_MS") is { Length: > 0 } electionMs ? $" --election-ms {electionMs}" : string.Empty);
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        // exec: the child's pid is the node's own, so SIGKILL/SIGSTOP reach the node and nothing else.
        start.ArgumentList.Add($"exec dotnet {Dll} {arguments} >> {logPath} 2>&1");
        start.Environment["DOTNET_gcServer"] = "0";
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
        return new NodeProcess(port, dataDir, logPath, process);
    }

    public void Kill()
    {
        if (!_process.HasExited)
        {
            Signal("CONT");
            _process.Kill();
            _process.WaitForExit(5000);
        }
    }

    public void Stop() => Signal("STOP");

    public void Continue() => Signal("CONT");

    private void Signal(string name)
    {
        using var kill = Process.Start("kill", ["-" + name, Pid.ToString(CultureInfo.InvariantCulture)]);
        kill?.WaitForExit(2000);
    }
}
