using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace AnyNet.Backends.Libuv.Interop;

/// <summary>Converts between <see cref="IPEndPoint"/> and Linux struct sockaddr_in/sockaddr_in6.</summary>
internal static class SockAddr
{
    /// <summary>Large enough for sockaddr_in6 (28 bytes); sockaddr_storage is 128.</summary>
    public const int StorageSize = 128;

    private const ushort AfInet = 2;
    private const ushort AfInet6 = 10;

    public static AddressFamily FamilyOf(ReadOnlySpan<byte> sockaddr) => BinaryPrimitives.ReadUInt16LittleEndian(sockaddr) switch
    {
        AfInet => AddressFamily.InterNetwork,
        AfInet6 => AddressFamily.InterNetworkV6,
        _ => AddressFamily.Unknown,
    };

    /// <summary>Writes <paramref name="endPoint"/> as a sockaddr into <paramref name="destination"/> (at least 28 bytes) and returns its length.</summary>
    public static int Write(IPEndPoint endPoint, Span<byte> destination)
    {
        destination.Clear();
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)endPoint.Port);
        if (endPoint.AddressFamily == AddressFamily.InterNetwork)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(destination, AfInet);
            endPoint.Address.TryWriteBytes(destination.Slice(4, 4), out _);
            return 16;
        }

        if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(destination, AfInet6);
            endPoint.Address.TryWriteBytes(destination.Slice(8, 16), out _);
            BinaryPrimitives.WriteUInt32LittleEndian(destination[24..], (uint)endPoint.Address.ScopeId);
            return 28;
        }

        throw new ArgumentException($"Only IPv4 and IPv6 endpoints are supported, not {endPoint.AddressFamily}.", nameof(endPoint));
    }

    /// <summary>Reads a sockaddr_in or sockaddr_in6; null for other families.</summary>
    public static IPEndPoint? Read(ReadOnlySpan<byte> sockaddr)
    {
        int port = BinaryPrimitives.ReadUInt16BigEndian(sockaddr[2..]);
        switch (FamilyOf(sockaddr))
        {
            case AddressFamily.InterNetwork:
                return new IPEndPoint(new IPAddress(sockaddr.Slice(4, 4)), port);
            case AddressFamily.InterNetworkV6:
                uint scope = BinaryPrimitives.ReadUInt32LittleEndian(sockaddr[24..]);
                return new IPEndPoint(new IPAddress(sockaddr.Slice(8, 16), scope), port);
            default:
                return null;
        }
    }
}
