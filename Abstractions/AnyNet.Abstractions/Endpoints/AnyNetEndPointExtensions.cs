namespace AnyNet;

/// <summary>Listens on and connects to an <see cref="AnyNetEndPoint"/> through the matching backend primitive.</summary>
public static class AnyNetEndPointExtensions
{
    /// <summary>
    /// Listens on <paramref name="endPoint"/>: <see cref="IAsyncBackend.ListenUnix"/>, <see cref="IAsyncBackend.ListenTcp"/>,
    /// or for the host-less <c>tcp:PORT</c> (<see cref="AnyNetEndPoint.IsEveryAddress"/>) every IPv4 and IPv6 address
    /// (see <see cref="ListenerExtensions.ListenTcpEverywhere"/>).
    /// </summary>
    /// <exception cref="System.Net.Sockets.SocketException">The address could not be bound.</exception>
    /// <exception cref="NotSupportedException">A Unix endpoint on a backend without <see cref="BackendCapabilities.UnixSockets"/>.</exception>
    public static ISocketListener Listen(this IAsyncBackend backend, AnyNetEndPoint endPoint, ListenOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(endPoint);
        return endPoint.IsUnix ? backend.ListenUnix(endPoint.UnixPath, options)
            : endPoint.IsEveryAddress ? backend.ListenTcpEverywhere(endPoint.IPEndPoint.Port, options)
            : backend.ListenTcp(endPoint.IPEndPoint, options);
    }

    /// <summary>Listens on the endpoint string <paramref name="endPoint"/> (see <see cref="AnyNetEndPoint.Parse"/>).</summary>
    /// <exception cref="FormatException"><paramref name="endPoint"/> is malformed.</exception>
    public static ISocketListener Listen(this IAsyncBackend backend, string endPoint, ListenOptions? options = null)
        => backend.Listen(AnyNetEndPoint.Parse(endPoint), options);

    /// <summary>Connects to <paramref name="endPoint"/>: <see cref="IAsyncBackend.ConnectTcpAsync(System.Net.IPEndPoint, CancellationToken)"/> or <see cref="IAsyncBackend.ConnectUnixAsync"/>.</summary>
    public static ValueTask<ISocketStream> ConnectAsync(this IAsyncBackend backend, AnyNetEndPoint endPoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(endPoint);
        return endPoint.IsUnix
            ? backend.ConnectUnixAsync(endPoint.UnixPath, cancellationToken)
            : backend.ConnectTcpAsync(endPoint.IPEndPoint, cancellationToken);
    }

    /// <summary>Connects to the endpoint string <paramref name="endPoint"/> (see <see cref="AnyNetEndPoint.Parse"/>).</summary>
    /// <exception cref="FormatException"><paramref name="endPoint"/> is malformed.</exception>
    public static ValueTask<ISocketStream> ConnectAsync(this IAsyncBackend backend, string endPoint, CancellationToken cancellationToken = default)
        => backend.ConnectAsync(AnyNetEndPoint.Parse(endPoint), cancellationToken);
}
