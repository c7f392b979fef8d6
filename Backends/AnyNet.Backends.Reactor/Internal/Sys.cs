using System.Net;
using AnyNet.Backends.Reactor.Interop;

namespace AnyNet.Backends.Reactor.Internal;

/// <summary>Socket set-up syscalls with EINTR retried and errors turned into the exceptions the contract names.</summary>
internal static unsafe class Sys
{
    /// <summary>A new non-blocking, close-on-exec socket.</summary>
    public static SafeFd CreateSocket(int family, int type, EndPoint endPoint)
    {
        int fd = Libc.Socket(family, type | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw SocketErrors.Exception(Libc.LastErrno, "socket", endPoint);
        }

        return new SafeFd(fd);
    }

    public static void SetOption(SafeFd fd, int level, int name, int value, string what, EndPoint endPoint)
    {
        int errno = Libc.SetIntOption(fd.Fd, level, name, value);
        if (errno != 0)
        {
            throw SocketErrors.Exception(errno, what, endPoint);
        }
    }

    /// <summary>bind(2); the exception names the endpoint.</summary>
    public static void Bind(SafeFd fd, EndPoint endPoint)
    {
        byte* address = stackalloc byte[SockAddr.MaxSize];
        int length = SockAddr.Encode(endPoint, new Span<byte>(address, SockAddr.MaxSize));
        if (Libc.Bind(fd.Fd, address, length) != 0)
        {
            throw SocketErrors.Exception(Libc.LastErrno, "bind", endPoint);
        }
    }

    public static void Listen(SafeFd fd, int backlog, EndPoint endPoint)
    {
        if (Libc.Listen(fd.Fd, backlog) != 0)
        {
            throw SocketErrors.Exception(Libc.LastErrno, "listen", endPoint);
        }
    }

    /// <summary>A connect that completes at once (UDP, Unix datagram); the exception names the endpoint.</summary>
    public static void ConnectNow(SafeFd fd, EndPoint endPoint)
    {
        byte* address = stackalloc byte[SockAddr.MaxSize];
        int length = SockAddr.Encode(endPoint, new Span<byte>(address, SockAddr.MaxSize));
        while (Libc.Connect(fd.Fd, address, length) != 0)
        {
            int errno = Libc.LastErrno;
            if (errno != Libc.EINTR)
            {
                throw SocketErrors.Exception(errno, "connect", endPoint);
            }
        }
    }

    /// <summary>Closes <paramref name="fd"/> when set-up fails, and rethrows.</summary>
    public static T CloseOnFailure<T>(SafeFd fd, Func<SafeFd, T> setUp)
    {
        try
        {
            return setUp(fd);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    public static EndPoint? LocalEndPoint(int fd)
    {
        byte* address = stackalloc byte[SockAddr.MaxSize];
        int length = SockAddr.MaxSize;
        return Libc.GetSockName(fd, address, &length) == 0 ? SockAddr.Decode(new ReadOnlySpan<byte>(address, SockAddr.MaxSize), length) : null;
    }

    public static EndPoint? RemoteEndPoint(int fd)
    {
        byte* address = stackalloc byte[SockAddr.MaxSize];
        int length = SockAddr.MaxSize;
        return Libc.GetPeerName(fd, address, &length) == 0 ? SockAddr.Decode(new ReadOnlySpan<byte>(address, SockAddr.MaxSize), length) : null;
    }
}
