using System.Runtime.InteropServices;

namespace AnyNet.Backends.Reactor.Interop;

/// <summary>The libc calls the reactor's pipes and child processes need beyond sockets (spawning itself is <see cref="PosixSpawn"/>).</summary>
internal static unsafe partial class Libc
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    public const short POLLIN = 0x1;

    [LibraryImport(LibraryName, EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeout);

    /// <summary>struct pollfd.</summary>
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }
}
