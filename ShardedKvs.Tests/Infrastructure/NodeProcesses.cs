using System.Diagnostics;

namespace ShardedKvs.Tests.Infrastructure;

/// <summary>Stopping the node processes a test started, and the clients it talked to them with.</summary>
internal static class NodeProcesses
{
    /// <summary>Kills every process still running (with its children), waits for it, and disposes
    /// processes and clients. Slots left null (nodes the test already killed) are skipped.</summary>
    public static ValueTask StopAllAsync(IEnumerable<Process?> processes, IEnumerable<HttpClient> clients)
    {
        foreach (Process? process in processes)
        {
            if (process is not null && !process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }

            process?.Dispose();
        }

        foreach (HttpClient client in clients)
        {
            client.Dispose();
        }

        return ValueTask.CompletedTask;
    }
}
