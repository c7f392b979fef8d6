using System.Net.Sockets;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>The socket tools of issue 14 (attributes and options, listening everywhere, fd passing, foreign readiness) leak no descriptor.</summary>
public abstract partial class LeakConformance<TFixture>
{
    [SkippableFact]
    public virtual Task Attributes_and_options_leak_no_descriptor()
    {
        RequireCapability(BackendCapabilities.TypedAttributes, "typed attributes and socket options");
        return CheckNoLeakAsync(async (backend, token) =>
        {
            ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
            var (client, server) = await StreamTestHelpers.ConnectPairAsync(backend, listener, token);
            _ = client.GetAttribute(TypedAttributes.RawHandle);
            _ = server.GetAttribute(TypedAttributes.RemoteEndPoint);
            client.SetOption(1, 9, 1);
            _ = client.GetOption(6, 1);
            Assert.Throws<SocketException>(() => client.SetOption(1, 9999, 1));
            Assert.Throws<KeyNotFoundException>(() => client.GetAttribute(TypedAttributes.PeerCredentials));
            await client.DisposeAsync();
            await server.DisposeAsync();
            await listener.DisposeAsync();
            Assert.Throws<ClosedResourceException>(() => client.GetOption(6, 1));
        });
    }

    [SkippableFact]
    public virtual Task Listening_everywhere_leaks_no_descriptor() => CheckNoLeakAsync(async (backend, token) =>
    {
        await using (ISocketListener everywhere = backend.Listen("tcp:0"))
        {
            ValueTask<ISocketStream> accept = everywhere.AcceptAsync(token);
            await using ISocketStream client = await backend.ConnectTcpAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, ((System.Net.IPEndPoint)everywhere.LocalEndPoint).Port), token);
            await using ISocketStream server = await accept;
        }

        // A connection taken by an accept that lost the race is closed by the dispose.
        var multi = new MultiListener([backend.ListenTcp(StreamTestHelpers.Loopback4), backend.ListenTcp(StreamTestHelpers.Loopback4)]);
        await using (ISocketStream pending = await backend.ConnectTcpAsync((System.Net.IPEndPoint)multi.LocalEndPoints[1], token))
        {
            await (await multi.AcceptAsync(token)).DisposeAsync();
        }

        await multi.DisposeAsync();
        await Assert.ThrowsAsync<NameResolutionException>(async () => await backend.ListenTcpAsync("no-such-host.invalid", 0, cancellationToken: token));

        // A failed bind on a later address closes the listeners bound before it: the first address's port is free again.
        // (The port is taken through the backend, so that a simulated network, whose ports are its own, sees it taken.)
        await using ISocketListener taken = backend.ListenTcp(StreamTestHelpers.Loopback4);
        int port = ((System.Net.IPEndPoint)taken.LocalEndPoint).Port;
        var other = System.Net.IPAddress.Parse("127.0.0.2");
        Assert.Throws<SocketException>(() => backend.ListenTcp([other, System.Net.IPAddress.Loopback], port));
        await using ISocketListener again = backend.ListenTcp(new System.Net.IPEndPoint(other, port));
    });
}
