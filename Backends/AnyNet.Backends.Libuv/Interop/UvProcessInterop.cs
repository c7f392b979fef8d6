using System.Runtime.InteropServices;

namespace AnyNet.Backends.Libuv.Interop;

/// <summary>The libuv calls for child processes' pipes and exit watching.</summary>
internal static unsafe partial class Uv
{
    [LibraryImport(Library)] public static partial int uv_pipe_open(IntPtr handle, int fd);

    [LibraryImport(Library)] public static partial int uv_poll_init(IntPtr loop, IntPtr handle, int fd);
}
