namespace AnyNet.Internal;

/// <summary>Applies <see cref="ConnectOptions"/> to a connected stream through the socket-option escape hatch.</summary>
internal static class ConnectOptionsApplier
{
    // Linux's numbers (socket(7), tcp(7), <asm-generic/socket.h>, <netinet/tcp.h>); ISocketOptions takes the OS's own.
    private const int SolSocket = 1;
    private const int SoKeepAlive = 9;
    private const int IpProtoTcp = 6;
    private const int TcpKeepIdle = 4;
    private const int TcpKeepIntvl = 5;
    private const int TcpKeepCnt = 6;

    /// <summary>Throws, before anything connects, for options this platform cannot apply.</summary>
    public static void ThrowIfUnsupported(ConnectOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.KeepAlive is not null && !OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("ConnectOptions.KeepAlive is applied with Linux's setsockopt(2) numbers, and this is not Linux.");
        }
    }

    /// <summary>Applies <paramref name="options"/>; on failure disposes <paramref name="stream"/> and rethrows.</summary>
    public static async ValueTask<ISocketStream> ApplyAsync(ISocketStream stream, ConnectOptions options)
    {
        try
        {
            if (options.KeepAlive is { } keepAlive)
            {
                stream.SetOption(SolSocket, SoKeepAlive, 1);
                stream.SetOption(IpProtoTcp, TcpKeepIdle, keepAlive.IdleSeconds);
                stream.SetOption(IpProtoTcp, TcpKeepIntvl, keepAlive.IntervalSeconds);
                stream.SetOption(IpProtoTcp, TcpKeepCnt, keepAlive.ProbeCount);
            }

            return stream;
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }
}
