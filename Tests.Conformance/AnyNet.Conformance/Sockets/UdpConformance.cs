using System.Net;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>UDP sockets: datagrams, connected sockets, and the busy, closed and cancellation rules.</summary>
public abstract class UdpConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    [SkippableFact]
    public virtual Task A_datagram_arrives_whole_with_its_sender() => WithUdpAsync(async (backend, token) =>
    {
        await using IDatagramSocket server = backend.BindUdp(StreamTestHelpers.Loopback4);
        await using IDatagramSocket client = backend.BindUdp(StreamTestHelpers.Loopback4);
        await client.SendToAsync("hello"u8.ToArray(), server.LocalEndPoint, token);
        byte[] buffer = new byte[65536];
        DatagramReceiveResult received = await server.ReceiveFromAsync(buffer, token);
        Assert.Equal("hello"u8.ToArray(), buffer.AsSpan(0, received.Length).ToArray());
        Assert.Equal(client.LocalEndPoint, received.RemoteEndPoint);
        Assert.Null(server.RemoteEndPoint);
    });

    [SkippableFact]
    public virtual Task Datagram_boundaries_are_kept_and_empty_datagrams_are_legal() => WithUdpAsync(async (backend, token) =>
    {
        await using IDatagramSocket server = backend.BindUdp(StreamTestHelpers.Loopback4);
        await using IDatagramSocket client = backend.BindUdp(StreamTestHelpers.Loopback4, (IPEndPoint)server.LocalEndPoint);
        await client.SendToAsync(new byte[] { 1, 2 }, cancellationToken: token);
        await client.SendToAsync(ReadOnlyMemory<byte>.Empty, cancellationToken: token);
        await client.SendToAsync(new byte[] { 3 }, cancellationToken: token);
        byte[] buffer = new byte[100];
        Assert.Equal(2, (await server.ReceiveFromAsync(buffer, token)).Length);
        Assert.Equal(0, (await server.ReceiveFromAsync(buffer, token)).Length);
        Assert.Equal(1, (await server.ReceiveFromAsync(buffer, token)).Length);
        Assert.Equal(3, buffer[0]);
    });

    [SkippableFact]
    public virtual Task A_connected_socket_sends_to_its_peer_without_an_address() => WithUdpAsync(async (backend, token) =>
    {
        await using IDatagramSocket server = backend.BindUdp(StreamTestHelpers.Loopback4);
        await using IDatagramSocket client = backend.BindUdp(StreamTestHelpers.Loopback4, (IPEndPoint)server.LocalEndPoint);
        Assert.Equal(server.LocalEndPoint, client.RemoteEndPoint);
        await client.SendToAsync("x"u8.ToArray(), cancellationToken: token);
        byte[] buffer = new byte[16];
        DatagramReceiveResult received = await server.ReceiveFromAsync(buffer, token);
        await server.SendToAsync("y"u8.ToArray(), received.RemoteEndPoint, token);
        DatagramReceiveResult reply = await client.ReceiveFromAsync(buffer, token);
        Assert.Equal((byte)'y', buffer[0]);
        Assert.Equal(server.LocalEndPoint, reply.RemoteEndPoint);
    });

    [SkippableFact]
    public virtual Task Sending_without_an_address_on_an_unconnected_socket_throws_InvalidOperationException() => WithUdpAsync(async (backend, token) =>
    {
        await using IDatagramSocket socket = backend.BindUdp(StreamTestHelpers.Loopback4);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await socket.SendToAsync(new byte[1], cancellationToken: token));
    });

    [SkippableFact]
    public virtual Task A_second_concurrent_receive_throws_BusyResourceException() => WithUdpAsync(async (backend, token) =>
    {
        await using IDatagramSocket socket = backend.BindUdp(StreamTestHelpers.Loopback4);
        ValueTask<DatagramReceiveResult> first = socket.ReceiveFromAsync(new byte[16], token);
        await Assert.ThrowsAsync<BusyResourceException>(async () => await socket.ReceiveFromAsync(new byte[16], token));
        await using IDatagramSocket sender = backend.BindUdp(StreamTestHelpers.Loopback4);
        await sender.SendToAsync(new byte[] { 1 }, socket.LocalEndPoint, token);
        Assert.Equal(1, (await first).Length);
    });

    [SkippableFact]
    public virtual Task Closing_wakes_a_blocked_receive_and_later_use_throws_ClosedResourceException() => WithUdpAsync(async (backend, token) =>
    {
        IDatagramSocket socket = backend.BindUdp(StreamTestHelpers.Loopback4);
        ValueTask<DatagramReceiveResult> blocked = socket.ReceiveFromAsync(new byte[16], token);
        await TaskGroup.RunAsync(group =>
        {
            group.Start(async _ => await socket.DisposeAsync());
            return Task.CompletedTask;
        }, token);
        await Assert.ThrowsAsync<ClosedResourceException>(async () => await blocked);
        await Assert.ThrowsAsync<ClosedResourceException>(async () => await socket.SendToAsync(new byte[1], new IPEndPoint(IPAddress.Loopback, 9), token));
        await socket.DisposeAsync();
    });

    [SkippableFact]
    public virtual Task A_cancelled_receive_consumes_nothing() => WithUdpAsync(async (backend, token) =>
    {
        await using IDatagramSocket socket = backend.BindUdp(StreamTestHelpers.Loopback4);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
        ValueTask<DatagramReceiveResult> pending = socket.ReceiveFromAsync(new byte[16], cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);
        await using IDatagramSocket sender = backend.BindUdp(StreamTestHelpers.Loopback4);
        await sender.SendToAsync(new byte[] { 8 }, socket.LocalEndPoint, token);
        byte[] buffer = new byte[16];
        Assert.Equal(1, (await socket.ReceiveFromAsync(buffer, token)).Length);
        Assert.Equal(8, buffer[0]);
    });

    [SkippableFact]
    public virtual Task Datagrams_travel_over_IPv6_loopback() => WithUdpAsync(async (backend, token) =>
    {
        Skip.IfNot(backend.Capabilities.HasFlag(BackendCapabilities.Ipv6), $"skipped: the '{backend.Name}' backend does not declare Ipv6");
        Skip.IfNot(StreamTestHelpers.Ipv6LoopbackUsable(), "skipped: this machine has no usable ::1");
        await using IDatagramSocket server = backend.BindUdp(StreamTestHelpers.Loopback6);
        await using IDatagramSocket client = backend.BindUdp(StreamTestHelpers.Loopback6);
        await client.SendToAsync("six"u8.ToArray(), server.LocalEndPoint, token);
        byte[] buffer = new byte[16];
        DatagramReceiveResult received = await server.ReceiveFromAsync(buffer, token);
        Assert.Equal(3, received.Length);
        Assert.Equal(client.LocalEndPoint, received.RemoteEndPoint);
    });

    private Task WithUdpAsync(Func<IAsyncBackend, CancellationToken, Task> body)
    {
        RequireCapability(BackendCapabilities.Udp, "UDP sockets");
        return RunAsync(body);
    }
}
