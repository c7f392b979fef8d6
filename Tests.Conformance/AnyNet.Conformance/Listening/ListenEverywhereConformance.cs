using System.Net;
using System.Net.Sockets;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// Listening everywhere: <c>tcp:PORT</c> on IPv4 and IPv6 at once, a listener per resolved address sharing one port,
/// <see cref="MultiListener"/> (accept from any, endpoints, dispose all, cancelled accept loses nothing), and
/// <c>ServeAsync</c> over several listeners.
/// </summary>
public abstract class ListenEverywhereConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    private void RequireIpv6()
    {
        RequireCapability(BackendCapabilities.Ipv6, "IPv6");
        Skip.IfNot(StreamTestHelpers.Ipv6LoopbackUsable(), "skipped: ::1 cannot be bound on this machine.");
    }

    [SkippableFact]
    public virtual async Task Tcp_port_form_is_reachable_on_127_0_0_1_and_on_the_IPv6_loopback()
    {
        RequireIpv6();
        await RunAsync(async (backend, token) =>
        {
            await using ISocketListener listener = backend.Listen("tcp:0");
            int port = ((IPEndPoint)listener.LocalEndPoint).Port;
            Assert.NotEqual(0, port);
            foreach (IPAddress address in new[] { IPAddress.Loopback, IPAddress.IPv6Loopback, IPAddress.Loopback })
            {
                await AssertReachableAsync(backend, listener, new IPEndPoint(address, port), token);
            }
        });
    }

    [SkippableFact]
    public virtual async Task Listening_on_several_addresses_with_port_0_shares_the_first_free_port()
    {
        RequireIpv6();
        await RunAsync(async (backend, token) =>
        {
            await using ISocketListener listener = backend.ListenTcp([IPAddress.Loopback, IPAddress.IPv6Loopback], 0);
            MultiListener multi = Assert.IsType<MultiListener>(listener);
            Assert.Equal(2, multi.LocalEndPoints.Count);
            int port = ((IPEndPoint)multi.LocalEndPoints[0]).Port;
            Assert.Equal(new IPEndPoint(IPAddress.Loopback, port), multi.LocalEndPoints[0]);
            Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, port), multi.LocalEndPoints[1]);
            Assert.Equal(multi.LocalEndPoints[0], multi.LocalEndPoint);
            await AssertReachableAsync(backend, multi, new IPEndPoint(IPAddress.IPv6Loopback, port), token);
            await AssertReachableAsync(backend, multi, new IPEndPoint(IPAddress.Loopback, port), token);
        });
    }

    [SkippableFact]
    public virtual async Task ListenTcpAsync_listens_on_every_address_the_host_resolves_to()
    {
        await RunAsync(async (backend, token) =>
        {
            IPAddress[] resolved = [.. (await backend.ResolveAsync("localhost", cancellationToken: token)).Distinct()];
            await using ISocketListener listener = await backend.ListenTcpAsync("localhost", 0, cancellationToken: token);
            IReadOnlyList<EndPoint> bound = listener is MultiListener multi ? multi.LocalEndPoints : [listener.LocalEndPoint];
            int port = ((IPEndPoint)bound[0]).Port;
            Assert.Equal(resolved.Select(a => new IPEndPoint(a, port)), bound.Cast<IPEndPoint>());
            foreach (IPAddress address in resolved)
            {
                await AssertReachableAsync(backend, listener, new IPEndPoint(address, port), token);
            }

            await Assert.ThrowsAsync<NameResolutionException>(async () => await backend.ListenTcpAsync("no-such-host.invalid", 0, cancellationToken: token));
        });
    }

    [SkippableFact]
    public virtual async Task A_cancelled_accept_on_a_multi_listener_loses_no_connection()
    {
        await RunAsync(async (backend, token) =>
        {
            await using var multi = new MultiListener([backend.ListenTcp(StreamTestHelpers.Loopback4), backend.ListenTcp(StreamTestHelpers.Loopback4)]);
            using (var cancel = CancellationTokenSource.CreateLinkedTokenSource(token))
            {
                ValueTask<ISocketStream> waiting = multi.AcceptAsync(cancel.Token);
                await cancel.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await waiting);
            }

            // Connect to the second listener first: whichever accept took it, the next accepts return both.
            await using ISocketStream second = await backend.ConnectTcpAsync((IPEndPoint)multi.LocalEndPoints[1], token);
            await second.SendAsync("2"u8.ToArray(), token);
            await using ISocketStream first = await backend.ConnectTcpAsync((IPEndPoint)multi.LocalEndPoints[0], token);
            await first.SendAsync("1"u8.ToArray(), token);
            var seen = new List<string>();
            for (int i = 0; i < 2; i++)
            {
                await using ISocketStream server = await multi.AcceptAsync(token);
                seen.Add(System.Text.Encoding.ASCII.GetString(await server.ReceiveExactlyAsync(1, token)));
            }

            seen.Sort(StringComparer.Ordinal);
            Assert.Equal(["1", "2"], seen);
        });
    }

    [SkippableFact]
    public virtual async Task Disposing_a_multi_listener_closes_every_listener_and_wakes_the_accept()
    {
        await RunAsync(async (backend, token) =>
        {
            ISocketListener a = backend.ListenTcp(StreamTestHelpers.Loopback4);
            ISocketListener b = backend.ListenTcp(StreamTestHelpers.Loopback4);
            var endPoints = new[] { (IPEndPoint)a.LocalEndPoint, (IPEndPoint)b.LocalEndPoint };
            var multi = new MultiListener([a, b]);
            ValueTask<ISocketStream> waiting = multi.AcceptAsync(token);
            await multi.DisposeAsync();
            await Assert.ThrowsAsync<ClosedResourceException>(async () => await waiting);
            await Assert.ThrowsAsync<ClosedResourceException>(async () => await multi.AcceptAsync(token));
            await Assert.ThrowsAsync<ClosedResourceException>(async () => await a.AcceptAsync(token));
            await Assert.ThrowsAsync<ClosedResourceException>(async () => await b.AcceptAsync(token));
            foreach (IPEndPoint endPoint in endPoints)
            {
                await Assert.ThrowsAsync<SocketException>(async () => await backend.ConnectTcpAsync(endPoint, token));
            }

            Assert.Throws<ArgumentException>(() => new MultiListener([]));
        });
    }

    [SkippableFact]
    public virtual async Task ServeAsync_serves_every_listener_until_cancelled()
    {
        await RunAsync(async (backend, token) =>
        {
            await using ISocketListener a = backend.ListenTcp(StreamTestHelpers.Loopback4);
            await using ISocketListener b = backend.ListenTcp(StreamTestHelpers.Loopback4);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
            Task serving = new IListener<ISocketStream>[] { a, b }.ServeAsync(async (stream, t) =>
            {
                byte[] one = await stream.ReceiveExactlyAsync(1, t);
                await stream.SendAsync(one, t);
            }, stop.Token);

            foreach (ISocketListener listener in new[] { a, b, a })
            {
                await using ISocketStream client = await backend.ConnectTcpAsync((IPEndPoint)listener.LocalEndPoint, token);
                await client.SendAsync("e"u8.ToArray(), token);
                Assert.Equal("e"u8.ToArray(), await client.ReceiveExactlyAsync(1, token));
            }

            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => serving);
        });
    }

    private static async Task AssertReachableAsync(IAsyncBackend backend, ISocketListener listener, IPEndPoint target, CancellationToken token)
    {
        ValueTask<ISocketStream> accept = listener.AcceptAsync(token);
        await using ISocketStream client = await backend.ConnectTcpAsync(target, token);
        await using ISocketStream server = await accept;
        Assert.Equal(target.AddressFamily, ((IPEndPoint)client.RemoteEndPoint).AddressFamily);
        await client.SendAsync("p"u8.ToArray(), token);
        Assert.Equal("p"u8.ToArray(), await server.ReceiveExactlyAsync(1, token));
    }
}
