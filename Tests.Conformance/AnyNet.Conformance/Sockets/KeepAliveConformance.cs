using System.Net;
using System.Runtime.InteropServices;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// Opt-in TCP keepalive (<see cref="ListenOptions.KeepAlive"/>): the options really reach the kernel, read back with
/// getsockopt(2) on the accepted socket (found through /proc/self/fd by its two ports).
/// </summary>
public abstract unsafe partial class KeepAliveConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    private const int SolSocket = 1;
    private const int SoKeepAlive = 9;
    private const int IpProtoTcp = 6;
    private const int TcpKeepIdle = 4;
    private const int TcpKeepIntvl = 5;
    private const int TcpKeepCnt = 6;

    [SkippableFact]
    public virtual Task Accepted_connections_carry_the_keepalive_settings_of_the_listener() => RunAsync(async (backend, token) =>
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "skipped: the options are read back through /proc/self/fd and getsockopt(2) (Linux).");
        var keepAlive = new TcpKeepAlive { Idle = TimeSpan.FromSeconds(7), Interval = TimeSpan.FromSeconds(3), ProbeCount = 4 };
        await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4, new ListenOptions { KeepAlive = keepAlive });
        (ISocketStream client, ISocketStream server) = await StreamTestHelpers.ConnectPairAsync(backend, listener, token);
        await using (client)
        await using (server)
        {
            int fd = FindSocket((IPEndPoint)server.LocalEndPoint, (IPEndPoint)server.RemoteEndPoint);
            Assert.Equal(1, GetOption(fd, SolSocket, SoKeepAlive));
            Assert.Equal(7, GetOption(fd, IpProtoTcp, TcpKeepIdle));
            Assert.Equal(3, GetOption(fd, IpProtoTcp, TcpKeepIntvl));
            Assert.Equal(4, GetOption(fd, IpProtoTcp, TcpKeepCnt));
        }
    });

    [SkippableFact]
    public virtual Task Without_the_option_keepalive_stays_off() => RunAsync(async (backend, token) =>
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "skipped: the options are read back through /proc/self/fd and getsockopt(2) (Linux).");
        await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
        (ISocketStream client, ISocketStream server) = await StreamTestHelpers.ConnectPairAsync(backend, listener, token);
        await using (client)
        await using (server)
        {
            int fd = FindSocket((IPEndPoint)server.LocalEndPoint, (IPEndPoint)server.RemoteEndPoint);
            Assert.Equal(0, GetOption(fd, SolSocket, SoKeepAlive));
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

    // The descriptor of this process whose local and peer ports are those given: the accepted end of one connection.
    private static int FindSocket(IPEndPoint local, IPEndPoint remote)
    {
        byte* address = stackalloc byte[128];
        foreach (string entry in Directory.GetFileSystemEntries("/proc/self/fd"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out int fd))
            {
                continue;
            }

            int length = 128;
            if (GetSockName(fd, address, &length) != 0 || PortOf(address) != local.Port)
            {
                continue;
            }

            length = 128;
            if (GetPeerName(fd, address, &length) == 0 && PortOf(address) == remote.Port)
            {
                return fd;
            }
        }

        throw new InvalidOperationException($"No descriptor of this process is the connection {local} <- {remote}.");
    }

    // sockaddr_in and sockaddr_in6 both keep the port, big-endian, at offset 2.
    private static int PortOf(byte* address) => (address[2] << 8) | address[3];

    private static int GetOption(int fd, int level, int name)
    {
        int value = -1;
        int length = sizeof(int);
        Assert.Equal(0, GetSockOpt(fd, level, name, &value, &length));
        return value;
    }

    [LibraryImport("libc", EntryPoint = "getsockname")]
    private static partial int GetSockName(int fd, byte* address, int* length);

    [LibraryImport("libc", EntryPoint = "getpeername")]
    private static partial int GetPeerName(int fd, byte* address, int* length);

    [LibraryImport("libc", EntryPoint = "getsockopt")]
    private static partial int GetSockOpt(int fd, int level, int name, void* value, int* length);
}
