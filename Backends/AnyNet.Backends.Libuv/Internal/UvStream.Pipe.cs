using AnyNet.Backends.Libuv.Interop;

namespace AnyNet.Backends.Libuv.Internal;

/// <summary>A <see cref="UvStream"/> over an existing pipe descriptor (a child's stdio), for <see cref="UvProcess"/>.</summary>
internal sealed partial class UvStream
{
    /// <summary>
    /// Wraps <paramref name="fd"/> in a uv_pipe_t (uv_pipe_open; libuv owns and closes it from then on). The stream's
    /// recv(2) fast path stays off (it needs a socket): reads go through uv_read_start, writes through uv_try_write/uv_write.
    /// </summary>
    public static UvStream OpenPipe(LibuvLoop loop, int fd)
    {
        var stream = new UvStream(loop, isPipe: true, System.Net.Sockets.AddressFamily.Unspecified);
        int status = Uv.uv_pipe_open(stream.Handle, fd);
        if (status < 0)
        {
            stream.Close();
            _ = Libc.close(fd);
            throw UvErrors.Exception(status, "uv_pipe_open");
        }

        return stream;
    }
}
