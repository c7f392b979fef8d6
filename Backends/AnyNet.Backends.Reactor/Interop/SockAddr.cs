using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AnyNet.Backends.Reactor.Interop;

/// <summary>Encodes and decodes Linux socket addresses (sockaddr_in, sockaddr_in6, sockaddr_un).</summary>
internal static class SockAddr
{
    /// <summary>sizeof(struct sockaddr_storage): large enough for every family.</summary>
    public const int MaxSize = 128;

    private const int UnixPathOffset = 2;
    private const int UnixPathMax = 108;

    public static int FamilyOf(EndPoint endPoint) => endPoint switch
    {
        IPEndPoint { AddressFamily: AddressFamily.InterNetwork } => Libc.AF_INET,
        IPEndPoint { AddressFamily: AddressFamily.InterNetworkV6 } => Libc.AF_INET6,
        UnixDomainSocketEndPoint => Libc.AF_UNIX,
        _ => throw new ArgumentException($"Unsupported endpoint type {endPoint.GetType().Name} ({endPoint.AddressFamily}).", nameof(endPoint)),
    };

    /// <summary>Writes <paramref name="endPoint"/> into <paramref name="buffer"/> and returns the address length.</summary>
    public static int Encode(EndPoint endPoint, Span<byte> buffer)
    {
        buffer[..MaxSize].Clear();
        switch (endPoint)
        {
            case IPEndPoint { AddressFamily: AddressFamily.InterNetwork } ip:
                BinaryPrimitives.WriteUInt16LittleEndian(buffer, Libc.AF_INET);
                BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], (ushort)ip.Port);
                ip.Address.TryWriteBytes(buffer.Slice(4, 4), out _);
                return 16;
            case IPEndPoint { AddressFamily: AddressFamily.InterNetworkV6 } ip6:
                BinaryPrimitives.WriteUInt16LittleEndian(buffer, Libc.AF_INET6);
                BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], (ushort)ip6.Port);
                ip6.Address.TryWriteBytes(buffer.Slice(8, 16), out _);
                BinaryPrimitives.WriteUInt32LittleEndian(buffer[24..], (uint)ip6.Address.ScopeId);
                return 28;
            case UnixDomainSocketEndPoint unix:
                return EncodeUnix(unix.ToString(), buffer);
            default:
                throw new ArgumentException($"Unsupported endpoint type {endPoint.GetType().Name}.", nameof(endPoint));
        }
    }

    private static int EncodeUnix(string path, Span<byte> buffer)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(buffer, Libc.AF_UNIX);
        bool isAbstract = path.Length > 0 && (path[0] == '\0' || path[0] == '@');
        int length = Encoding.UTF8.GetByteCount(path);
        if (length >= UnixPathMax)
        {
            throw new ArgumentOutOfRangeException(nameof(path), path, $"A Unix socket path must be shorter than {UnixPathMax} bytes.");
        }

        Encoding.UTF8.GetBytes(path, buffer[UnixPathOffset..]);
        if (isAbstract)
        {
            // Linux abstract namespace: a leading NUL, no terminator, the length says where the name ends.
            buffer[UnixPathOffset] = 0;
            return UnixPathOffset + length;
        }

        return UnixPathOffset + length + 1;
    }

    /// <summary>Reads the address in <paramref name="buffer"/> (<paramref name="length"/> bytes as the kernel reported).</summary>
    public static EndPoint Decode(ReadOnlySpan<byte> buffer, int length)
    {
        int family = length >= 2 ? BinaryPrimitives.ReadUInt16LittleEndian(buffer) : Libc.AF_UNIX;
        switch (family)
        {
            case Libc.AF_INET:
                return new IPEndPoint(new IPAddress(buffer.Slice(4, 4)), BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]));
            case Libc.AF_INET6:
                uint scope = BinaryPrimitives.ReadUInt32LittleEndian(buffer[24..]);
                return new IPEndPoint(new IPAddress(buffer.Slice(8, 16), scope), BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]));
            case Libc.AF_UNIX:
                return length <= UnixPathOffset || buffer[UnixPathOffset] == 0 && length == UnixPathOffset + 1
                    ? Unnamed
                    : new UnixDomainSocketEndPoint(DecodeUnixPath(buffer, length));
            default:
                throw new SocketException((int)SocketError.AddressFamilyNotSupported, $"Unexpected address family {family} from the kernel.");
        }
    }

    /// <summary>
    /// The address of an unnamed Unix socket (a client that never bound). The public constructor refuses an empty
    /// path; <see cref="EndPoint.Create"/> from a bare family makes the same unnamed endpoint System.Net.Sockets reports.
    /// </summary>
    public static EndPoint Unnamed => s_unnamed;

    private static readonly EndPoint s_unnamed = new UnixDomainSocketEndPoint("/").Create(new SocketAddress(AddressFamily.Unix, UnixPathOffset));

    private static string DecodeUnixPath(ReadOnlySpan<byte> buffer, int length)
    {
        ReadOnlySpan<byte> path = buffer[UnixPathOffset..length];
        if (path[0] == 0)
        {
            return "\0" + Encoding.UTF8.GetString(path[1..]);
        }

        int end = path.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? path : path[..end]);
    }
}
