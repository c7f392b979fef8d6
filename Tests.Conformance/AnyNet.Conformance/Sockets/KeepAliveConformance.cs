using System.Net;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// Opt-in TCP keepalive (<see cref="ListenOptions.KeepAlive"/>): the options really reach the kernel, read back with
/// getsockopt(2) on the accepted socket (found through /proc/self/fd by its two ports).
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

    // A simulated socket has no descriptor to read the kernel's options from (the check of refused values still runs there).
    private static void RequireOperatingSystemSockets(IAsyncBackend backend) =>
        Skip.IfNot(backend.Capabilities.HasFlag(BackendCapabilities.OperatingSystemSockets), $"skipped: the '{backend.Name}' backend does not declare OperatingSystemSockets (the options are read back with getsockopt(2) from the socket's file descriptor).");
}
