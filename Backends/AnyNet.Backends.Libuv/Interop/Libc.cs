using System.Runtime.InteropServices;

namespace AnyNet.Backends.Libuv.Interop;

/// <summary>The few libc calls libuv 1.x has no wrapper for (SO_REUSEPORT before bind).</summary>
internal static unsafe partial class Libc
{
    /// <summary>Resolved to libc.so.6 by the resolver in <see cref="Uv"/>.</summary>
    public const string Library = "libc";
    public const string SoName = "libc.so.6";

    public const int SOL_SOCKET = 1;
    public const int SO_REUSEPORT = 15;
    public const int SO_KEEPALIVE = 9;
    public const int IPPROTO_TCP = 6;
    public const int TCP_KEEPIDLE = 4;
    public const int TCP_KEEPINTVL = 5;
    public const int TCP_KEEPCNT = 6;

    public const int AF_UNIX = 1;
    public const int SOCK_DGRAM = 2;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int MSG_NOSIGNAL = 0x4000;
    public const int MSG_PEEK = 0x2;
    public const int MSG_DONTWAIT = 0x40;
    public const int EAGAIN = 11;
    public const int EINTR = 4;
    public const int EPROTO = 71;
    public const int ECONNABORTED = 103;
    public const int F_DUPFD_CLOEXEC = 1030;

    [LibraryImport(Library, SetLastError = true)]
    public static partial int setsockopt(int fd, int level, int name, void* value, uint length);

    [LibraryImport(Library, SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    [LibraryImport(Library, SetLastError = true)]
    public static partial int bind(int fd, byte* address, uint length);

    [LibraryImport(Library, SetLastError = true)]
    public static partial int connect(int fd, byte* address, uint length);

    [LibraryImport(Library, SetLastError = true)]
    public static partial nint recvfrom(int fd, byte* buffer, nuint length, int flags, byte* address, uint* addressLength);

    [LibraryImport(Library, SetLastError = true)]
    public static partial nint sendto(int fd, byte* buffer, nuint length, int flags, byte* address, uint addressLength);

    [LibraryImport(Library, SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport(Library, SetLastError = true)]
    public static partial int accept4(int fd, byte* address, uint* addressLength, int flags);

    public const int F_GETFL = 3;
    public const int F_SETFL = 4;
    public const int O_NONBLOCK = 0x800;

    // fcntl(2) is variadic in C; its third argument is an int here, which Linux x86-64 and arm64 pass exactly as a
    // fixed int argument, so the plain prototype is correct for F_DUPFD_CLOEXEC.
    [LibraryImport(Library, SetLastError = true)]
    public static partial int fcntl(int fd, int command, int argument);

    [LibraryImport(Library, SetLastError = true)]
    public static partial nint recv(int fd, byte* buffer, nuint length, int flags);
}
