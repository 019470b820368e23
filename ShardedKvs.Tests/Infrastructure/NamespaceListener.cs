using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ShardedKvs.Tests.Infrastructure;

/// <summary>
/// Opens a listening socket inside a network namespace made by <see cref="NetworkNamespaces"/>, from
/// this process: a socket belongs to the namespace of the thread that created it, so a thread of its
/// own enters the namespace (setns), creates the socket and ends. Connections it accepts live there too.
/// </summary>
internal static class NamespaceListener
{
    private const int NewNetworkNamespace = 0x4000_0000; // CLONE_NEWNET

    public static Socket Open(string networkNamespace, int port)
    {
        Socket? listener = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using Microsoft.Win32.SafeHandles.SafeFileHandle handle = File.OpenHandle($"/var/run/netns/{networkNamespace}");
                if (SetNamespace((int)handle.DangerousGetHandle(), NewNetworkNamespace) != 0)
                {
                    throw new InvalidOperationException($"setns into {networkNamespace} failed: errno {Marshal.GetLastPInvokeError()}");
                }

                listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                listener.Bind(new IPEndPoint(IPAddress.Any, port));
                listener.Listen(128);
            }
            catch (Exception e)
            {
                listener?.Dispose();
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        return listener ?? throw new InvalidOperationException($"Could not listen on port {port} in {networkNamespace}", failure);
    }

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNamespace(int fd, int nstype);
}
