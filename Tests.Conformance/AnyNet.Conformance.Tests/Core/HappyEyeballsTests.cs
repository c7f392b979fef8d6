using System.Net;
using System.Net.Sockets;
using AnyNet.Backends.Tasks;
using AnyNet.Internal;
using Xunit;

namespace AnyNet.Conformance.Tests.Core;

/// <summary>Unit tests of the shared connection racing (the resolver here returns only one address for localhost).</summary>
public sealed class HappyEyeballsTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_refused_first_address_falls_through_to_the_next_at_once()
    {
        await using var backend = new TasksBackend();
        await backend.RunAsync(async token =>
        {
            await using ISocketListener listener = backend.ListenTcp(new IPEndPoint(IPAddress.Loopback, 0));
            int port = ((IPEndPoint)listener.LocalEndPoint).Port;
            ValueTask<ISocketStream> accept = listener.AcceptAsync(token);
            IPAddress[] addresses = [IPAddress.Parse("127.0.0.2"), IPAddress.Loopback];
            await using ISocketStream client = await HappyEyeballs.ConnectAsync(backend, "test-host", addresses, port, token);
            await using ISocketStream server = await accept;
            Assert.Equal(IPAddress.Loopback, ((IPEndPoint)client.RemoteEndPoint).Address);
        }).WaitAsync(s_timeout);
    }

    [Fact]
    public async Task When_every_address_fails_the_error_names_the_host_and_each_attempt()
    {
        await using var backend = new TasksBackend();
        await backend.RunAsync(async token =>
        {
            int port;
            await using (ISocketListener probe = backend.ListenTcp(new IPEndPoint(IPAddress.Loopback, 0)))
            {
                port = ((IPEndPoint)probe.LocalEndPoint).Port;
            }

            IPAddress[] addresses = [IPAddress.Loopback, IPAddress.Parse("127.0.0.2")];
            var error = await Assert.ThrowsAsync<SocketException>(async () => await HappyEyeballs.ConnectAsync(backend, "test-host", addresses, port, token));
            Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
            Assert.Contains("test-host", error.Message, StringComparison.Ordinal);
            Assert.Contains("127.0.0.2", error.Message, StringComparison.Ordinal);
            Assert.Contains("127.0.0.1", error.Message, StringComparison.Ordinal);
        }).WaitAsync(s_timeout);
    }
}
