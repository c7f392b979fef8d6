using System.Runtime.InteropServices;

namespace AnyNet.Conformance;

/// <summary>
/// Fills a connected socket's send path behind its stream's back (send(2) with MSG_DONTWAIT on the raw descriptor), so a
/// test can make the stream's next send find the socket full without leaving an operation of the stream pending.
/// </summary>
internal static unsafe partial class SocketFiller
{
    private const int MsgDontWait = 0x40;
    private const int EAgain = 11;

    /// <summary>Sends until the kernel takes no more and returns how many bytes went.</summary>
    /// <remarks>
    /// Once a send is refused, the socket's write allocation is at or over its SO_SNDBUF, and the kernel refuses every
    /// further send of any size until the peer reads (sock_alloc_send_pskb, net/core/sock.c).
    /// </remarks>
    public static long FillUntilFull(nint descriptor)
    {
        byte[] chunk = new byte[64 * 1024];
        long total = 0;
        fixed (byte* data = chunk)
        {
            for (int attempt = 0; attempt < 100_000; attempt++)
            {
                nint sent = Send((int)descriptor, data, chunk.Length, MsgDontWait);
                if (sent > 0)
                {
                    total += sent;
                    continue;
                }

                int error = Marshal.GetLastPInvokeError();
                return error == EAgain
                    ? total
                    : throw new InvalidOperationException($"send(2) on descriptor {descriptor} failed with errno {error} while filling it.");
            }
        }

        throw new InvalidOperationException($"Descriptor {descriptor} took {total} bytes and never filled up.");
    }

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    private static partial nint Send(int fd, byte* buffer, nint length, int flags);
}
