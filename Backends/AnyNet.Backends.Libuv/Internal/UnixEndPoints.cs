using System.Net;
using System.Net.Sockets;
using System.Text;
using AnyNet.Backends.Libuv.Interop;

namespace AnyNet.Backends.Libuv.Internal;

/// <summary>Unix socket paths: validation, encoding for libuv, and endpoints read back from a pipe handle.</summary>
internal static unsafe class UnixEndPoints
{
    /// <summary>sizeof(sun_path) on Linux, including the terminating NUL.</summary>
    private const int MaxPathBytes = 108;

    /// <summary>The endpoint of an unnamed socket (a connecting client's own end): an empty path.</summary>
    public static readonly EndPoint Unnamed = new UnixDomainSocketEndPoint("/").Create(new SocketAddress(AddressFamily.Unix, 2));

    /// <summary>
    /// Validates <paramref name="path"/> and returns it as NUL-terminated UTF-8. libuv would silently truncate a path
    /// longer than sun_path, so that is rejected here.
    /// </summary>
    public static byte[] EncodePath(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        int length = Encoding.UTF8.GetByteCount(path);
        if (length >= MaxPathBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(path), path, $"A Unix socket path can have at most {MaxPathBytes - 1} bytes.");
        }

        byte[] bytes = new byte[length + 1];
        _ = Encoding.UTF8.GetBytes(path, bytes);
        return bytes;
    }

    /// <summary>The bound name of a pipe handle or its peer; null for an unnamed socket.</summary>
    public static EndPoint? Read(IntPtr handle, bool peer)
    {
        byte* buffer = stackalloc byte[MaxPathBytes + 1];
        nuint size = MaxPathBytes;
        int status = peer ? Uv.uv_pipe_getpeername(handle, buffer, &size) : Uv.uv_pipe_getsockname(handle, buffer, &size);
        if (status < 0 || size == 0)
        {
            return null;
        }

        int length = (int)size;
        while (length > 0 && buffer[length - 1] == 0)
        {
            length--;
        }

        return length == 0 ? null : new UnixDomainSocketEndPoint(Encoding.UTF8.GetString(buffer, length));
    }
}
