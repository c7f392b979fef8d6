using System.Reflection;
using System.Runtime.InteropServices;

namespace AnyNet.Backends.Libuv.Interop;

/// <summary>The libuv C API this backend uses, bound with source-generated P/Invoke to the system's libuv.so.1.</summary>
/// <remarks>
/// Every struct is opaque: handle and request memory is sized at run time with uv_handle_size/uv_req_size, and
/// fields are reached only through accessor functions (uv_handle_get_data...), so no libuv struct layout is assumed.
/// The one layout used is uv_buf_t (base, len), which is part of libuv's stable ABI on Unix.
/// </remarks>
internal static unsafe partial class Uv
{
    /// <summary>The name the imports use; the resolver maps it to <see cref="SoName"/>.</summary>
    private const string Library = "libuv";

    /// <summary>The soname of libuv 1.x on Linux.</summary>
    public const string SoName = "libuv.so.1";

    public const int UV_EOF = -4095;
    public const int UV_EAI_CANCELED = -3003;
    public const int UV_EAI_NONAME = -3008;
    public const int UV_ECANCELED = -125;
    public const int UV_EAGAIN = -11;
    public const int UV_ENOBUFS = -105;

    /// <summary>uv_loop_option UV_METRICS_IDLE_TIME (libuv 1.39): the loop accumulates the time it waits in the kernel.</summary>
    public const int UV_METRICS_IDLE_TIME = 1;

    public const int UV_RUN_DEFAULT = 0;
    public const int UV_RUN_NOWAIT = 2;
    public const uint UV_UDP_PARTIAL = 2;

    private static readonly object s_loadLock = new();
    private static bool s_resolverSet;

    public enum HandleType
    {
        Async = 1,
        Check = 2,
        Idle = 6,
        NamedPipe = 7,
        Poll = 8,
        Prepare = 9,
        Tcp = 12,
        Timer = 13,
        Udp = 15,
    }

    public enum ReqType
    {
        Connect = 2,
        Write = 3,
        Shutdown = 4,
        UdpSend = 5,
        GetAddrInfo = 8,
    }

    /// <summary>uv_buf_t on Unix: a pointer and a size_t length.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Buf
    {
        public byte* Base;
        public nuint Len;
    }

    /// <summary>
    /// Installs the resolver and loads libuv.so.1, throwing an exception that names the library and how to install it
    /// when the machine lacks it. Called by every backend constructor; cheap after the first time.
    /// </summary>
    public static void EnsureLoaded()
    {
        lock (s_loadLock)
        {
            if (!s_resolverSet)
            {
                NativeLibrary.SetDllImportResolver(typeof(Uv).Assembly, Resolve);
                s_resolverSet = true;
            }
        }

        if (!NativeLibrary.TryLoad(SoName, out _))
        {
            throw new DllNotFoundException(
                $"The libuv backend needs the system library {SoName} (libuv 1.x), which could not be loaded. " +
                "Install it with: apt-get install -y libuv1 (Debian/Ubuntu), or run Backends/AnyNet.Backends.Libuv/install-libuv.sh.");
        }
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        string? soName = libraryName switch
        {
            Library => SoName,
            Libc.Library => Libc.SoName,
            _ => null,
        };
        if (soName is not null && NativeLibrary.TryLoad(soName, assembly, searchPath, out IntPtr handle))
        {
            return handle;
        }

        return IntPtr.Zero;
    }

    /// <summary>The libuv error name for a status code (for example "ECONNRESET").</summary>
    public static string ErrorName(int status) => Marshal.PtrToStringUTF8((IntPtr)uv_err_name(status)) ?? status.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The libuv description of a status code.</summary>
    public static string ErrorText(int status) => Marshal.PtrToStringUTF8((IntPtr)uv_strerror(status)) ?? ErrorName(status);

    [LibraryImport(Library)] public static partial byte* uv_version_string();
    [LibraryImport(Library)] public static partial uint uv_version();
    [LibraryImport(Library)] public static partial byte* uv_err_name(int err);
    [LibraryImport(Library)] public static partial byte* uv_strerror(int err);

    [LibraryImport(Library)] public static partial nuint uv_loop_size();
    [LibraryImport(Library)] public static partial int uv_loop_init(IntPtr loop);
    [LibraryImport(Library)] public static partial int uv_loop_close(IntPtr loop);
    [LibraryImport(Library)] public static partial int uv_run(IntPtr loop, int mode);
    [LibraryImport(Library)] public static partial int uv_loop_alive(IntPtr loop);
    [LibraryImport(Library)] public static partial void uv_walk(IntPtr loop, delegate* unmanaged<IntPtr, IntPtr, void> cb, IntPtr arg);
    [LibraryImport(Library)] public static partial void uv_update_time(IntPtr loop);

    [LibraryImport(Library)] public static partial nuint uv_handle_size(HandleType type);
    [LibraryImport(Library)] public static partial nuint uv_req_size(ReqType type);
    [LibraryImport(Library)] public static partial IntPtr uv_handle_get_data(IntPtr handle);
    [LibraryImport(Library)] public static partial void uv_handle_set_data(IntPtr handle, IntPtr data);
    [LibraryImport(Library)] public static partial IntPtr uv_req_get_data(IntPtr req);
    [LibraryImport(Library)] public static partial void uv_req_set_data(IntPtr req, IntPtr data);
    [LibraryImport(Library)] public static partial void uv_close(IntPtr handle, delegate* unmanaged<IntPtr, void> cb);
    [LibraryImport(Library)] public static partial int uv_is_closing(IntPtr handle);
    [LibraryImport(Library)] public static partial int uv_fileno(IntPtr handle, int* fd);
    [LibraryImport(Library)] public static partial int uv_cancel(IntPtr req);

    [LibraryImport(Library)] public static partial int uv_async_init(IntPtr loop, IntPtr handle, delegate* unmanaged<IntPtr, void> cb);
    [LibraryImport(Library)] public static partial int uv_async_send(IntPtr handle);
    [LibraryImport(Library)] public static partial int uv_prepare_init(IntPtr loop, IntPtr handle);
    [LibraryImport(Library)] public static partial int uv_prepare_start(IntPtr handle, delegate* unmanaged<IntPtr, void> cb);
    [LibraryImport(Library)] public static partial int uv_check_init(IntPtr loop, IntPtr handle);
    [LibraryImport(Library)] public static partial int uv_check_start(IntPtr handle, delegate* unmanaged<IntPtr, void> cb);
    [LibraryImport(Library)] public static partial int uv_idle_init(IntPtr loop, IntPtr handle);
    [LibraryImport(Library)] public static partial int uv_idle_start(IntPtr handle, delegate* unmanaged<IntPtr, void> cb);
    [LibraryImport(Library)] public static partial int uv_idle_stop(IntPtr handle);

    // int uv_loop_configure(uv_loop_t*, uv_loop_option, ...): variadic, but UV_METRICS_IDLE_TIME takes no further
    // argument, and a call with only the fixed arguments is the same call on the x86-64 and AArch64 Linux ABIs.
    [LibraryImport(Library)] public static partial int uv_loop_configure(IntPtr loop, int option);
    [LibraryImport(Library)] public static partial ulong uv_metrics_idle_time(IntPtr loop);

    [LibraryImport(Library)] public static partial int uv_timer_init(IntPtr loop, IntPtr handle);
    [LibraryImport(Library)] public static partial int uv_timer_start(IntPtr handle, delegate* unmanaged<IntPtr, void> cb, ulong timeout, ulong repeat);
    [LibraryImport(Library)] public static partial int uv_timer_stop(IntPtr handle);

    [LibraryImport(Library)] public static partial int uv_tcp_init_ex(IntPtr loop, IntPtr handle, uint flags);
    [LibraryImport(Library)] public static partial int uv_tcp_bind(IntPtr handle, byte* addr, uint flags);
    [LibraryImport(Library)] public static partial int uv_tcp_connect(IntPtr req, IntPtr handle, byte* addr, delegate* unmanaged<IntPtr, int, void> cb);
    [LibraryImport(Library)] public static partial int uv_tcp_nodelay(IntPtr handle, int enable);
    [LibraryImport(Library)] public static partial int uv_tcp_open(IntPtr handle, int sock);
    [LibraryImport(Library)] public static partial int uv_tcp_getsockname(IntPtr handle, byte* name, int* namelen);
    [LibraryImport(Library)] public static partial int uv_tcp_getpeername(IntPtr handle, byte* name, int* namelen);

    [LibraryImport(Library)] public static partial int uv_listen(IntPtr stream, int backlog, delegate* unmanaged<IntPtr, int, void> cb);
    [LibraryImport(Library)] public static partial int uv_accept(IntPtr server, IntPtr client);
    [LibraryImport(Library)] public static partial int uv_read_start(IntPtr stream, delegate* unmanaged<IntPtr, nuint, Buf*, void> alloc, delegate* unmanaged<IntPtr, nint, Buf*, void> read);
    [LibraryImport(Library)] public static partial int uv_read_stop(IntPtr stream);
    [LibraryImport(Library)] public static partial int uv_write(IntPtr req, IntPtr stream, Buf* bufs, uint nbufs, delegate* unmanaged<IntPtr, int, void> cb);
    [LibraryImport(Library)] public static partial int uv_try_write(IntPtr stream, Buf* bufs, uint nbufs);
    [LibraryImport(Library)] public static partial int uv_shutdown(IntPtr req, IntPtr stream, delegate* unmanaged<IntPtr, int, void> cb);

    [LibraryImport(Library)] public static partial int uv_pipe_init(IntPtr loop, IntPtr handle, int ipc);
    [LibraryImport(Library)] public static partial int uv_pipe_bind(IntPtr handle, byte* name);
    [LibraryImport(Library)] public static partial void uv_pipe_connect(IntPtr req, IntPtr handle, byte* name, delegate* unmanaged<IntPtr, int, void> cb);
    [LibraryImport(Library)] public static partial int uv_pipe_getsockname(IntPtr handle, byte* buffer, nuint* size);
    [LibraryImport(Library)] public static partial int uv_pipe_getpeername(IntPtr handle, byte* buffer, nuint* size);

    [LibraryImport(Library)] public static partial int uv_udp_init_ex(IntPtr loop, IntPtr handle, uint flags);
    [LibraryImport(Library)] public static partial int uv_udp_bind(IntPtr handle, byte* addr, uint flags);
    [LibraryImport(Library)] public static partial int uv_udp_connect(IntPtr handle, byte* addr);
    [LibraryImport(Library)] public static partial int uv_udp_getsockname(IntPtr handle, byte* name, int* namelen);
    [LibraryImport(Library)] public static partial int uv_udp_getpeername(IntPtr handle, byte* name, int* namelen);
    [LibraryImport(Library)] public static partial int uv_udp_recv_start(IntPtr handle, delegate* unmanaged<IntPtr, nuint, Buf*, void> alloc, delegate* unmanaged<IntPtr, nint, Buf*, byte*, uint, void> recv);
    [LibraryImport(Library)] public static partial int uv_udp_recv_stop(IntPtr handle);
    [LibraryImport(Library)] public static partial int uv_udp_send(IntPtr req, IntPtr handle, Buf* bufs, uint nbufs, byte* addr, delegate* unmanaged<IntPtr, int, void> cb);
    [LibraryImport(Library)] public static partial int uv_udp_try_send(IntPtr handle, Buf* bufs, uint nbufs, byte* addr);

    public const int UV_READABLE = 1;
    public const int UV_WRITABLE = 2;

    [LibraryImport(Library)] public static partial int uv_poll_init_socket(IntPtr loop, IntPtr handle, int fd);
    [LibraryImport(Library)] public static partial int uv_poll_start(IntPtr handle, int events, delegate* unmanaged<IntPtr, int, int, void> cb);
    [LibraryImport(Library)] public static partial int uv_poll_stop(IntPtr handle);

    [LibraryImport(Library)] public static partial int uv_getaddrinfo(IntPtr loop, IntPtr req, delegate* unmanaged<IntPtr, int, IntPtr, void> cb, byte* node, byte* service, void* hints);
    [LibraryImport(Library)] public static partial void uv_freeaddrinfo(IntPtr ai);
}
