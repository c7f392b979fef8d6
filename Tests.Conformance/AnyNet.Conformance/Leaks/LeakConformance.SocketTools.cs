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

    [SkippableFact]
    public virtual Task Fd_passing_leaks_no_descriptor()
    {
        RequireCapability(BackendCapabilities.FdPassing, "passing descriptors over Unix sockets");
        return CheckNoLeakAsync(async (backend, token) =>
        {
            await using ISocketListener listener = backend.ListenUnix(StreamTestHelpers.NewUnixPath());
            var (client, server) = await StreamTestHelpers.ConnectPairAsync(backend, listener, token);
            await using (client)
            await using (server)
            using (var pipe = new System.IO.Pipes.AnonymousPipeServerStream(System.IO.Pipes.PipeDirection.Out))
            using (pipe.ClientSafePipeHandle) // the server stream does not close the client end
            {
                var sender = (IFdPassingStream)client;
                var receiver = (IFdPassingStream)server;
                await sender.SendFdsAsync("a"u8.ToArray(), [pipe.ClientSafePipeHandle, pipe.SafePipeHandle], token);
                FdReceiveResult received = await receiver.ReceiveFdsAsync(new byte[1], 2, token);
                foreach (Microsoft.Win32.SafeHandles.SafeFileHandle handle in received.Handles)
                {
                    handle.Dispose();
                }

                // Refused, too many, and received by a plain receive (the kernel discards them): none stays open.
                using var notOpen = new Microsoft.Win32.SafeHandles.SafeFileHandle(987654, ownsHandle: false);
                await Assert.ThrowsAsync<ArgumentException>(async () => await sender.SendFdsAsync("b"u8.ToArray(), [notOpen], token));
                await sender.SendFdsAsync("c"u8.ToArray(), [pipe.ClientSafePipeHandle, pipe.ClientSafePipeHandle], token);
                await Assert.ThrowsAsync<IOException>(async () => await receiver.ReceiveFdsAsync(new byte[1], 1, token));
                await sender.SendFdsAsync("d"u8.ToArray(), [pipe.ClientSafePipeHandle], token);
                Assert.Equal(1, await receiver.ReceiveAsync(new byte[1], token));

                // Sent but never received: closing the connection releases them.
                await sender.SendFdsAsync("e"u8.ToArray(), [pipe.ClientSafePipeHandle], token);
            }
        });
    }

    [SkippableFact]
    public virtual Task Foreign_readiness_leaks_no_descriptor()
    {
        RequireCapability(BackendCapabilities.ForeignHandleReadiness, "waiting for readiness of foreign descriptors");
        return CheckNoLeakAsync(async (backend, token) =>
        {
            using var pipe = new System.IO.Pipes.AnonymousPipeServerStream(System.IO.Pipes.PipeDirection.Out);
            using var clientEnd = pipe.ClientSafePipeHandle; // the server stream does not close the client end
            nint readEnd = pipe.ClientSafePipeHandle.DangerousGetHandle();
            await backend.WaitWritableAsync(pipe.SafePipeHandle.DangerousGetHandle(), token);
            using (var cancel = CancellationTokenSource.CreateLinkedTokenSource(token))
            {
                ValueTask waiting = backend.WaitReadableAsync(readEnd, cancel.Token);
                await cancel.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await waiting);
            }

            pipe.WriteByte(1);
            await backend.WaitReadableAsync(readEnd, token);
            await Assert.ThrowsAsync<ArgumentException>(async () => await backend.WaitReadableAsync(987654, token));
        });
    }
}
