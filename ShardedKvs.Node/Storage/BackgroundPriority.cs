using System.Runtime.InteropServices;

namespace ShardedKvs.Node.Storage;

/// <summary>
/// Lowers the scheduling priority of the calling thread (its Linux nice value; Linux keeps one per
/// thread), so that background work such as a walk over the whole store takes the cores only when
/// request threads leave them idle. Lowering needs no privilege. Elsewhere it does nothing.
/// </summary>
public static class BackgroundPriority
{
    private const int ProcessPriority = 0; // PRIO_PROCESS: with a thread id, that thread alone

    /// <summary>Sets the calling thread's nice value (0 normal, 19 lowest); false when it could not.</summary>
    public static bool LowerCurrentThread(int nice)
    {
        if (!OperatingSystem.IsLinux() || nice <= 0)
        {
            return false;
        }

        try
        {
            return SetPriority(ProcessPriority, GetThreadId(), Math.Min(nice, 19)) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "setpriority")]
    private static extern int SetPriority(int which, int who, int prio);

    [DllImport("libc", EntryPoint = "gettid")]
    private static extern int GetThreadId();
}
