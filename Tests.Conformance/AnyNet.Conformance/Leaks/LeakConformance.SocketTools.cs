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
}
