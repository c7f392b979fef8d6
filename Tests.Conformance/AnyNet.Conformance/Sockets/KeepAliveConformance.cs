using System.Net;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// Opt-in TCP keepalive, for served connections (<see cref="ListenOptions.KeepAlive"/>) and outgoing ones
/// (<see cref="ConnectOptions.KeepAlive"/>): the options really reach the kernel, read back with getsockopt(2) on the
/// socket (found through /proc/self/fd by its two ports).
/// </summary>
public abstract class KeepAliveConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{

    [SkippableFact]
    public virtual Task Accepted_connections_carry_the_keepalive_settings_of_the_listener() => RunAsync(async (backend, token) =>
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "skipped: the options are read back through /proc/self/fd and getsockopt(2) (Linux).");
        RequireOperatingSystemSockets(backend);
        var keepAlive = new TcpKeepAlive { Idle = TimeSpan.FromSeconds(7), Interval = TimeSpan.FromSeconds(3), ProbeCount = 4 };
        await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4, new ListenOptions { KeepAlive = keepAlive });
        (ISocketStream client, ISocketStream server) = await StreamTestHelpers.ConnectPairAsync(backend, listener, token);
        await using (client)
        await using (server)
        {
            int fd = SocketOptionReader.FindSocket((IPEndPoint)server.LocalEndPoint, (IPEndPoint)server.RemoteEndPoint);
            Assert.Equal(1, SocketOptionReader.GetOption(fd, SocketOptionReader.SolSocket, SocketOptionReader.SoKeepAlive));
            Assert.Equal(7, SocketOptionReader.GetOption(fd, SocketOptionReader.IpProtoTcp, SocketOptionReader.TcpKeepIdle));
            Assert.Equal(3, SocketOptionReader.GetOption(fd, SocketOptionReader.IpProtoTcp, SocketOptionReader.TcpKeepIntvl));
            Assert.Equal(4, SocketOptionReader.GetOption(fd, SocketOptionReader.IpProtoTcp, SocketOptionReader.TcpKeepCnt));
        }
    });

    [SkippableFact]
    public virtual Task Without_the_option_keepalive_stays_off() => RunAsync(async (backend, token) =>
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "skipped: the options are read back through /proc/self/fd and getsockopt(2) (Linux).");
        RequireOperatingSystemSockets(backend);
        await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
        (ISocketStream client, ISocketStream server) = await StreamTestHelpers.ConnectPairAsync(backend, listener, token);
        await using (client)
        await using (server)
        {
            int fd = SocketOptionReader.FindSocket((IPEndPoint)server.LocalEndPoint, (IPEndPoint)server.RemoteEndPoint);
            Assert.Equal(0, SocketOptionReader.GetOption(fd, SocketOptionReader.SolSocket, SocketOptionReader.SoKeepAlive));
        }
    });

    [SkippableFact]
    public virtual Task Keepalive_values_the_kernel_would_refuse_are_rejected_naming_them() => RunAsync((backend, token) =>
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => backend.ListenTcp(StreamTestHelpers.Loopback4, new ListenOptions { KeepAlive = new TcpKeepAlive { ProbeCount = 0 } }));
        Assert.Equal(nameof(TcpKeepAlive.ProbeCount), error.ParamName);
        error = Assert.Throws<ArgumentOutOfRangeException>(() => backend.ListenTcp(StreamTestHelpers.Loopback4, new ListenOptions { KeepAlive = new TcpKeepAlive { Idle = TimeSpan.FromMilliseconds(500) } }));
        Assert.Equal(nameof(TcpKeepAlive.Idle), error.ParamName);
        return Task.CompletedTask;
    });

    [SkippableFact]
    public virtual Task A_connection_made_with_keepalive_options_carries_them() => RunAsync(async (backend, token) =>
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "skipped: the options are read back through /proc/self/fd and getsockopt(2) (Linux).");
        RequireSocketOptions(backend);
        var options = new ConnectOptions { KeepAlive = new TcpKeepAlive { Idle = TimeSpan.FromSeconds(9), Interval = TimeSpan.FromSeconds(2), ProbeCount = 3 } };
        await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
        var endPoint = (IPEndPoint)listener.LocalEndPoint;

        // Both overloads: the endpoint one, and the host-and-port one (Happy Eyeballs underneath).
        foreach (Func<Task<ISocketStream>> connect in new Func<Task<ISocketStream>>[]
        {
            async () => await backend.ConnectTcpAsync(endPoint, options, token),
            async () => await backend.ConnectTcpAsync("127.0.0.1", endPoint.Port, options, token),
        })
        {
            ValueTask<ISocketStream> accept = listener.AcceptAsync(token);
            await using ISocketStream client = await connect();
            await using ISocketStream server = await accept;

            // What the kernel holds for the client's descriptor, read independently of the backend...
            int fd = SocketOptionReader.FindSocket((IPEndPoint)client.LocalEndPoint, (IPEndPoint)client.RemoteEndPoint);
            Assert.Equal(1, SocketOptionReader.GetOption(fd, SocketOptionReader.SolSocket, SocketOptionReader.SoKeepAlive));
            Assert.Equal(9, SocketOptionReader.GetOption(fd, SocketOptionReader.IpProtoTcp, SocketOptionReader.TcpKeepIdle));
            Assert.Equal(2, SocketOptionReader.GetOption(fd, SocketOptionReader.IpProtoTcp, SocketOptionReader.TcpKeepIntvl));
            Assert.Equal(3, SocketOptionReader.GetOption(fd, SocketOptionReader.IpProtoTcp, SocketOptionReader.TcpKeepCnt));

            // ...and through the stream's own option access; the accepted end is untouched.
            Assert.Equal(1, client.GetOption(SocketOptionReader.SolSocket, SocketOptionReader.SoKeepAlive));
            Assert.Equal(0, server.GetOption(SocketOptionReader.SolSocket, SocketOptionReader.SoKeepAlive));

            // The connection works as any other.
            await client.SendAsync("k"u8.ToArray(), token);
            Assert.Equal((byte)'k', (await server.ReceiveExactlyAsync(1, token))[0]);
        }
    });

    [SkippableFact]
    public virtual Task A_connection_made_without_keepalive_options_has_keepalive_off() => RunAsync(async (backend, token) =>
    {
        RequireSocketOptions(backend);
        await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
        ValueTask<ISocketStream> accept = listener.AcceptAsync(token);
        await using ISocketStream client = await backend.ConnectTcpAsync((IPEndPoint)listener.LocalEndPoint, new ConnectOptions(), token);
        await using ISocketStream server = await accept;
        Assert.Equal(0, client.GetOption(SocketOptionReader.SolSocket, SocketOptionReader.SoKeepAlive));
    });

    [SkippableFact]
    public virtual Task Connect_keepalive_values_the_kernel_would_refuse_are_rejected_before_connecting() => RunAsync(async (backend, token) =>
    {
        await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
        var endPoint = (IPEndPoint)listener.LocalEndPoint;
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
            await backend.ConnectTcpAsync(endPoint, new ConnectOptions { KeepAlive = new TcpKeepAlive { ProbeCount = 128 } }, token));
        Assert.Equal(nameof(TcpKeepAlive.ProbeCount), error.ParamName);
        error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
            await backend.ConnectTcpAsync("127.0.0.1", endPoint.Port, new ConnectOptions { KeepAlive = new TcpKeepAlive { Interval = TimeSpan.FromSeconds(1.5) } }, token));
        Assert.Equal(nameof(TcpKeepAlive.Interval), error.ParamName);

        // Nothing connected: the listener has no connection waiting (an accept with a token already cancelled would
        // not tell), so the first connection it accepts is the one made now.
        ValueTask<ISocketStream> accept = listener.AcceptAsync(token);
        await using ISocketStream client = await backend.ConnectTcpAsync(endPoint, token);
        await using ISocketStream server = await accept;
        Assert.Equal(client.LocalEndPoint, server.RemoteEndPoint);
    });

    private static void RequireSocketOptions(IAsyncBackend backend)
    {
        Skip.IfNot(backend.Capabilities.HasFlag(BackendCapabilities.TypedAttributes), $"skipped: the '{backend.Name}' backend does not declare TypedAttributes (socket options)");
        RequireOperatingSystemSockets(backend);
    }

    // A simulated socket has no descriptor to read the kernel's options from (the check of refused values still runs there).
    private static void RequireOperatingSystemSockets(IAsyncBackend backend) =>
        Skip.IfNot(backend.Capabilities.HasFlag(BackendCapabilities.OperatingSystemSockets), $"skipped: the '{backend.Name}' backend does not declare OperatingSystemSockets (the options are read back with getsockopt(2) from the socket's file descriptor).");
}
