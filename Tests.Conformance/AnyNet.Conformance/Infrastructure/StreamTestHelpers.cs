using System.Net;
using System.Net.Sockets;

namespace AnyNet.Conformance;

/// <summary>Small helpers the conformance areas share.</summary>
public static class StreamTestHelpers
{
    /// <summary>The IPv4 loopback with port 0 (pick a free port).</summary>
    public static IPEndPoint Loopback4 => new(IPAddress.Loopback, 0);

    /// <summary>The IPv6 loopback with port 0.</summary>
    public static IPEndPoint Loopback6 => new(IPAddress.IPv6Loopback, 0);

    /// <summary>Reads exactly <paramref name="count"/> bytes or throws <see cref="EndOfStreamException"/>.</summary>
    public static async Task<byte[]> ReceiveExactlyAsync(this IByteReceiveStream stream, int count, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        byte[] result = new byte[count];
        int filled = 0;
        while (filled < count)
        {
            int n = await stream.ReceiveAsync(result.AsMemory(filled), cancellationToken);
            if (n == 0)
            {
                throw new EndOfStreamException($"The stream ended after {filled} of {count} bytes.");
            }

            filled += n;
        }

        return result;
    }

    /// <summary>Reads until the end of the stream (bounded by <paramref name="limit"/> bytes).</summary>
    public static async Task<byte[]> ReceiveToEndAsync(this IByteReceiveStream stream, int limit = 16 << 20, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var collected = new MemoryStream();
        byte[] chunk = new byte[16384];
        while (true)
        {
            int n = await stream.ReceiveAsync(chunk, cancellationToken);
            if (n == 0)
            {
                return collected.ToArray();
            }

            collected.Write(chunk, 0, n);
            if (collected.Length > limit)
            {
                throw new InvalidOperationException($"More than {limit} bytes arrived before the end of the stream.");
            }
        }
    }

    /// <summary>A fresh path for a Unix socket in the temp folder (short enough for sun_path).</summary>
    public static string NewUnixPath() => Path.Combine(Path.GetTempPath(), $"anynet-{Guid.NewGuid():N}"[..20] + ".sock");

    /// <summary>Seeded random bytes.</summary>
    public static byte[] RandomBytes(int count, int seed)
    {
        byte[] data = new byte[count];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>Connects a TCP client to <paramref name="listener"/> and accepts it; returns (client, server).</summary>
    public static async Task<(ISocketStream Client, ISocketStream Server)> ConnectPairAsync(IAsyncBackend backend, ISocketListener listener, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(listener);
        ValueTask<ISocketStream> accept = listener.AcceptAsync(cancellationToken);
        ISocketStream client = listener.LocalEndPoint is UnixDomainSocketEndPoint unix
            ? await backend.ConnectUnixAsync(unix.ToString(), cancellationToken)
            : await backend.ConnectTcpAsync((IPEndPoint)listener.LocalEndPoint, cancellationToken);
        return (client, await accept);
    }

    /// <summary>True when ::1 can be bound on this machine (some containers have no IPv6 loopback).</summary>
    public static bool Ipv6LoopbackUsable()
    {
        try
        {
            using var probe = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
