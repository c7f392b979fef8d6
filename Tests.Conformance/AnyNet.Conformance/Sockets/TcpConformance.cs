using System.Net;
using System.Net.Sockets;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>TCP listeners and connections: addresses, accept rules and the errors of bad input.</summary>
public abstract class TcpConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    [SkippableFact]
    public virtual Task Port_zero_resolves_to_a_real_port() => RunAsync(async (backend, _) =>
    {
        await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
        var bound = Assert.IsType<IPEndPoint>(listener.LocalEndPoint);
        Assert.InRange(bound.Port, 1, IPEndPoint.MaxPort);
        Assert.Equal(IPAddress.Loopback, bound.Address);
    });

    [SkippableFact]
    public virtual Task Both_ends_report_matching_endpoints() => RunAsync(async (backend, token) =>
    {
        await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
        (ISocketStream client, ISocketStream server) = await StreamTestHelpers.ConnectPairAsync(backend, listener, token);
        await using (client)
        await using (server)
        {
            Assert.Equal(listener.LocalEndPoint, client.RemoteEndPoint);
            Assert.Equal(client.LocalEndPoint, server.RemoteEndPoint);
            Assert.Equal(server.LocalEndPoint, client.RemoteEndPoint);
        }
    });

    [SkippableFact]
    public virtual Task Accept_after_dispose_throws_ClosedResourceException() => RunAsync(async (backend, token) =>
    {
        ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
        await listener.DisposeAsync();
        await Assert.ThrowsAsync<ClosedResourceException>(async () => await listener.AcceptAsync(token));
        await listener.DisposeAsync();
    });

    [SkippableFact]
    public virtual Task Disposing_the_listener_wakes_a_waiting_accept_with_ClosedResourceException() => RunAsync(async (backend, token) =>
    {
        ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
        ValueTask<ISocketStream> accept = listener.AcceptAsync(token);
        await TaskGroup.RunAsync(group =>
        {
            group.Start(async _ => await listener.DisposeAsync());
            return Task.CompletedTask;
        }, token);
        await Assert.ThrowsAsync<ClosedResourceException>(async () => await accept);
    });

    [SkippableFact]
    public virtual Task A_second_concurrent_accept_throws_BusyResourceException() => RunAsync(async (backend, token) =>
    {
        await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
        ValueTask<ISocketStream> first = listener.AcceptAsync(token);
        await Assert.ThrowsAsync<BusyResourceException>(async () => await listener.AcceptAsync(token));
        await using ISocketStream client = await backend.ConnectTcpAsync((IPEndPoint)listener.LocalEndPoint, token);
        await using ISocketStream server = await first;
    });

    [SkippableFact]
    public virtual Task A_cancelled_accept_accepts_nothing() => RunAsync(async (backend, token) =>
    {
        await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
        ValueTask<ISocketStream> pending = listener.AcceptAsync(cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);

        await using ISocketStream client = await backend.ConnectTcpAsync((IPEndPoint)listener.LocalEndPoint, token);
        await using ISocketStream server = await listener.AcceptAsync(token);
        await client.SendAsync(new byte[] { 1 }, token);
        Assert.Equal(new byte[] { 1 }, await server.ReceiveExactlyAsync(1, token));
    });

    [SkippableFact]
    public virtual Task Connecting_to_a_port_nobody_listens_on_fails_with_SocketException_naming_the_endpoint() => RunAsync(async (backend, token) =>
    {
        IPEndPoint closed;
        await using (ISocketListener probe = backend.ListenTcp(StreamTestHelpers.Loopback4))
        {
            closed = (IPEndPoint)probe.LocalEndPoint;
        }

        var error = await Assert.ThrowsAsync<SocketException>(async () => await backend.ConnectTcpAsync(closed, token));
        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
        Assert.Contains(closed.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    });

    [SkippableFact]
    public virtual Task Binding_a_port_already_in_use_fails_with_SocketException_naming_the_endpoint() => RunAsync(async (backend, _) =>
    {
        await using ISocketListener first = backend.ListenTcp(StreamTestHelpers.Loopback4);
        var taken = (IPEndPoint)first.LocalEndPoint;
        var error = Assert.Throws<SocketException>(() => backend.ListenTcp(taken));
        Assert.Equal(SocketError.AddressAlreadyInUse, error.SocketErrorCode);
        Assert.Contains(taken.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    });

    [SkippableFact]
    public virtual Task A_port_out_of_range_is_rejected_with_ArgumentOutOfRangeException() => RunAsync(async (backend, token) =>
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await backend.ConnectTcpAsync("127.0.0.1", 70000, token));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await backend.ConnectTcpAsync("127.0.0.1", 0, token));
        Assert.Throws<ArgumentOutOfRangeException>(() => backend.ListenTcp(StreamTestHelpers.Loopback4, new ListenOptions { Backlog = 0 }));
    });

    [SkippableFact]
    public virtual Task Null_endpoints_are_rejected_with_ArgumentNullException() => RunAsync(async (backend, token) =>
    {
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await backend.ConnectTcpAsync(null!, token));
        Assert.Throws<ArgumentNullException>(() => backend.ListenTcp(null!));
    });

    [SkippableFact]
    public virtual Task Connect_with_an_already_cancelled_token_throws_OperationCanceledException() => RunAsync(async (backend, _) =>
    {
        await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await backend.ConnectTcpAsync((IPEndPoint)listener.LocalEndPoint, cancelled.Token));
    });

    [SkippableFact]
    public virtual Task Connect_and_accept_work_over_IPv6_loopback() => RunAsync(async (backend, token) =>
    {
        Skip.IfNot(backend.Capabilities.HasFlag(BackendCapabilities.Ipv6), $"skipped: the '{backend.Name}' backend does not declare Ipv6");
        Skip.IfNot(StreamTestHelpers.Ipv6LoopbackUsable(), "skipped: this machine has no usable ::1");
        await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback6);
        (ISocketStream client, ISocketStream server) = await StreamTestHelpers.ConnectPairAsync(backend, listener, token);
        await using (client)
        await using (server)
        {
            Assert.Equal(IPAddress.IPv6Loopback, ((IPEndPoint)server.RemoteEndPoint).Address);
            await client.SendAsync("v6"u8.ToArray(), token);
            Assert.Equal("v6"u8.ToArray(), await server.ReceiveExactlyAsync(2, token));
        }
    });

    [SkippableFact]
    public virtual Task Two_listeners_can_share_a_port_with_ReusePort() => RunAsync(async (backend, _) =>
    {
        Skip.IfNot(backend.Capabilities.HasFlag(BackendCapabilities.ReusePort), $"skipped: the '{backend.Name}' backend does not declare ReusePort");
        var options = new ListenOptions { ReusePort = true };
        await using ISocketListener first = backend.ListenTcp(StreamTestHelpers.Loopback4, options);
        await using ISocketListener second = backend.ListenTcp((IPEndPoint)first.LocalEndPoint, options);
        Assert.Equal(first.LocalEndPoint, second.LocalEndPoint);
    });
}
