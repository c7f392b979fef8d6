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

    [LibraryImport(Library, SetLastError = true)]
    public static partial int setsockopt(int fd, int level, int name, void* value, uint length);
}
