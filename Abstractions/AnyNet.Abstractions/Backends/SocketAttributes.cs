using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using AnyNet.Backends.Internal;

namespace AnyNet.Backends;

/// <summary>
/// For backend authors: the typed attributes and socket options of a socket, shared by the built-in backends so
/// they answer alike. The descriptor forms call setsockopt(2)/getsockopt(2) directly (Linux), for backends that own raw
/// descriptors (reactor) or can get one from their library (libuv's <c>uv_fileno</c>).
/// </summary>
public static unsafe class SocketAttributes
{
    /// <summary><c>SOL_SOCKET</c> on Linux.</summary>
    public const int SolSocket = 1;

    /// <summary><c>SO_PEERCRED</c> on Linux (socket(7)): a <c>struct ucred { pid_t pid; uid_t uid; gid_t gid; }</c>.</summary>
    public const int SoPeerCred = 17;

    /// <summary><c>IPPROTO_TCP</c>.</summary>
    public const int IpProtoTcp = 6;

    /// <summary><c>TCP_NODELAY</c>.</summary>
    public const int TcpNoDelay = 1;

    /// <summary>
    /// Answers the well-known socket attributes: <see cref="TypedAttributes.RawHandle"/>, the endpoints (the remote one only
    /// if <paramref name="remoteEndPoint"/> is not null) and, for a connected Unix socket on Linux,
    /// <see cref="TypedAttributes.PeerCredentials"/> read through <paramref name="options"/>.
    /// </summary>
    public static bool TryGet<T>(TypedAttribute<T> attribute, ISocketOptions options, nint handle, EndPoint localEndPoint, EndPoint? remoteEndPoint, [MaybeNullWhen(false)] out T value)
    {
        ArgumentNullException.ThrowIfNull(attribute);
        ArgumentNullException.ThrowIfNull(options);
        object? found = null;
        if (ReferenceEquals(attribute, TypedAttributes.RawHandle))
        {
            found = handle;
        }
        else if (ReferenceEquals(attribute, TypedAttributes.LocalEndPoint))
        {
            found = localEndPoint;
        }
        else if (ReferenceEquals(attribute, TypedAttributes.RemoteEndPoint))
        {
            found = remoteEndPoint;
        }
        else if (ReferenceEquals(attribute, TypedAttributes.PeerCredentials)
            && OperatingSystem.IsLinux() && remoteEndPoint is not null && localEndPoint is UnixDomainSocketEndPoint)
        {
            Span<int> credentials = stackalloc int[3];
            if (options.GetOption(SolSocket, SoPeerCred, MemoryMarshal.AsBytes(credentials)) == 3 * sizeof(int))
            {
                found = new UnixCredentials(credentials[0], (uint)credentials[1], (uint)credentials[2]);
            }
        }

        if (found is null)
        {
            value = default;
            return false;
        }

        value = (T)found;
        return true;
    }

    /// <summary>setsockopt(2) on a descriptor.</summary>
    /// <exception cref="SocketException">The OS refused; the message names the option and the errno (ENOTSOCK for a descriptor that is not a socket).</exception>
    public static void SetOption(int fd, int level, int name, ReadOnlySpan<byte> value)
    {
        fixed (byte* p = value)
        {
            if (PosixInterop.SetSockOpt(fd, level, name, p, (uint)value.Length) != 0)
            {
                throw SocketErrors.Exception(Marshal.GetLastPInvokeError(), $"setsockopt(fd {fd}, level {level}, name {name})");
            }
        }
    }

    /// <summary>getsockopt(2) on a descriptor; returns the number of bytes the OS wrote.</summary>
    /// <exception cref="SocketException">The OS refused; the message names the option and the errno (ENOTSOCK for a descriptor that is not a socket).</exception>
    public static int GetOption(int fd, int level, int name, Span<byte> value)
    {
        uint length = (uint)value.Length;
        fixed (byte* p = value)
        {
            if (PosixInterop.GetSockOpt(fd, level, name, p, &length) != 0)
            {
                throw SocketErrors.Exception(Marshal.GetLastPInvokeError(), $"getsockopt(fd {fd}, level {level}, name {name})");
            }
        }

        return (int)length;
    }
}
