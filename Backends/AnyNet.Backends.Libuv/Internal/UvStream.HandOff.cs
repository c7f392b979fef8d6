using System.Net;
using System.Runtime.InteropServices;
using AnyNet.Backends.Libuv.Interop;

namespace AnyNet.Backends.Libuv.Internal;

/// <summary>
/// Moving an accepted connection to another loop of the same backend. A libuv handle belongs to the loop it was
/// initialised on and may be touched only from that loop's thread, and libuv cannot release a descriptor from a handle
/// without closing it. So the accepting loop duplicates the descriptor and closes its handle, and the target loop wraps
/// the duplicate in a new handle (uv_tcp_open / uv_pipe_open). This happens before any byte is read, so nothing is lost.
/// </summary>
internal sealed partial class UvStream
{
    /// <summary>
    /// Gives up this freshly accepted stream (loop thread): returns a duplicate of its descriptor, close-on-exec, and
    /// closes the handle. Throws if the descriptor cannot be duplicated (the stream is closed either way).
    /// </summary>
    public int DetachDescriptor()
    {
        int fd = _fd;
        int copy = fd < 0 ? -1 : Libc.fcntl(fd, Libc.F_DUPFD_CLOEXEC, 0);
        int errno = copy < 0 ? Marshal.GetLastPInvokeError() : 0;
        Close();
        if (copy < 0)
        {
            throw UvErrors.Exception(fd < 0 ? -9 : -errno, "fcntl(F_DUPFD_CLOEXEC)", _localEndPoint ?? UnixEndPoints.Unnamed);
        }

        return copy;
    }

    /// <summary>
    /// Wraps an accepted descriptor handed over by another loop in a stream of <paramref name="loop"/> (its thread).
    /// Owns <paramref name="fd"/> from the call on: it is closed if anything fails.
    /// </summary>
    public static UvStream Adopt(LibuvLoop loop, int fd, bool isPipe, EndPoint listenerEndPoint)
    {
        UvStream stream;
        try
        {
            loop.ThrowIfStopping();
            stream = new UvStream(loop, isPipe, System.Net.Sockets.AddressFamily.Unspecified);
        }
        catch
        {
            _ = Libc.close(fd);
            throw;
        }

        int status = isPipe ? Uv.uv_pipe_open(stream.Handle, fd) : Uv.uv_tcp_open(stream.Handle, fd);
        if (status < 0)
        {
            stream.Close();
            _ = Libc.close(fd);
            throw UvErrors.Exception(status, isPipe ? "uv_pipe_open" : "uv_tcp_open", listenerEndPoint);
        }

        stream.Established(listenerEndPoint);
        return stream;
    }
}
