using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using AnyNet.Backends;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// Typed attributes (AnyIO's <c>extra()</c>) and the socket option escape hatch: the raw descriptor, both endpoints and
/// SO_PEERCRED of streams and listeners; setsockopt/getsockopt by level and name; TCP_NODELAY on by default; wrappers
/// forward what they do not answer; unknown attributes, refused options and closed sockets fail by name.
/// </summary>
public abstract class TypedAttributeConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    private const int SolSocket = 1;
    private const int SoKeepAlive = 9;
    private const int SoRcvBuf = 8;
    private const int IpProtoTcp = 6;
    private const int TcpNoDelay = 1;

    private void RequireAttributes() => RequireCapability(BackendCapabilities.TypedAttributes, "typed attributes and socket options");

    [SkippableFact]
    public virtual async Task Tcp_streams_and_listeners_expose_their_descriptor_and_endpoints()
    {
        RequireAttributes();
        await RunAsync(async (backend, token) =>
        {
            await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
            var (client, server) = await StreamTestHelpers.ConnectPairAsync(backend, listener, token);
            await using (client)
            await using (server)
            {
                Assert.Equal(listener.LocalEndPoint, listener.GetAttribute(TypedAttributes.LocalEndPoint));
                Assert.False(listener.TryGetAttribute(TypedAttributes.RemoteEndPoint, out _));
                AssertIsSocketDescriptor(listener.GetAttribute(TypedAttributes.RawHandle));

                foreach (ISocketStream stream in new[] { client, server })
                {
                    Assert.Equal(stream.LocalEndPoint, stream.GetAttribute(TypedAttributes.LocalEndPoint));
                    Assert.Equal(stream.RemoteEndPoint, stream.GetAttribute(TypedAttributes.RemoteEndPoint));
                    AssertIsSocketDescriptor(stream.GetAttribute(TypedAttributes.RawHandle));
                    Assert.False(stream.TryGetAttribute(TypedAttributes.PeerCredentials, out _));
                }

                Assert.Equal(client.GetAttribute(TypedAttributes.LocalEndPoint), server.GetAttribute(TypedAttributes.RemoteEndPoint));
                Assert.NotEqual(client.GetAttribute(TypedAttributes.RawHandle), server.GetAttribute(TypedAttributes.RawHandle));
            }
        });
    }

    [SkippableFact]
    public virtual async Task Unix_streams_report_the_peer_credentials()
    {
        RequireAttributes();
        RequireCapability(BackendCapabilities.UnixSockets, "Unix domain stream sockets");
        await RunAsync(async (backend, token) =>
        {
            await using ISocketListener listener = backend.ListenUnix(StreamTestHelpers.NewUnixPath());
            var (client, server) = await StreamTestHelpers.ConnectPairAsync(backend, listener, token);
            await using (client)
            await using (server)
            {
                (uint uid, uint gid) = OwnIds();
                foreach (ISocketStream stream in new[] { client, server })
                {
                    UnixCredentials peer = stream.GetAttribute(TypedAttributes.PeerCredentials);
                    Assert.Equal(new UnixCredentials(Environment.ProcessId, uid, gid), peer);
                    AssertIsSocketDescriptor(stream.GetAttribute(TypedAttributes.RawHandle));
                }

                Assert.False(listener.TryGetAttribute(TypedAttributes.PeerCredentials, out _));
            }
        });
    }

    [SkippableFact]
    public virtual async Task Tcp_nodelay_is_on_for_connected_and_accepted_streams()
    {
        RequireAttributes();
        await RunAsync(async (backend, token) =>
        {
            foreach (IPEndPoint where in Ipv6Usable() ? new[] { StreamTestHelpers.Loopback4, StreamTestHelpers.Loopback6 } : [StreamTestHelpers.Loopback4])
            {
                await using ISocketListener listener = backend.ListenTcp(where);
                var (client, server) = await StreamTestHelpers.ConnectPairAsync(backend, listener, token);
                await using (client)
                await using (server)
                {
                    Assert.NotEqual(0, client.GetOption(IpProtoTcp, TcpNoDelay));
                    Assert.NotEqual(0, server.GetOption(IpProtoTcp, TcpNoDelay));

                    // The escape hatch really reaches the socket: turning it off reads back off.
                    client.SetOption(IpProtoTcp, TcpNoDelay, 0);
                    Assert.Equal(0, client.GetOption(IpProtoTcp, TcpNoDelay));
                }
            }
        });
    }

    [SkippableFact]
    public virtual async Task Options_set_by_level_and_name_read_back_on_streams_and_listeners()
    {
        RequireAttributes();
        await RunAsync(async (backend, token) =>
        {
            await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
            listener.SetOption(SolSocket, SoRcvBuf, 64 * 1024);
            Assert.True(listener.GetOption(SolSocket, SoRcvBuf) >= 64 * 1024, "Linux doubles SO_RCVBUF for bookkeeping (socket(7)); it must not be smaller.");

            var (client, server) = await StreamTestHelpers.ConnectPairAsync(backend, listener, token);
            await using (client)
            await using (server)
            {
                Assert.Equal(0, client.GetOption(SolSocket, SoKeepAlive));
                client.SetOption(SolSocket, SoKeepAlive, 1);
                Assert.Equal(1, client.GetOption(SolSocket, SoKeepAlive));

                Span<byte> raw = stackalloc byte[16];
                Assert.Equal(sizeof(int), client.GetOption(SolSocket, SoKeepAlive, raw));

                // The stream still works after option changes.
                await client.SendAsync("x"u8.ToArray(), token);
                Assert.Equal("x"u8.ToArray(), await server.ReceiveExactlyAsync(1, token));
            }
        });
    }

    [SkippableFact]
    public virtual async Task Unknown_attributes_refused_options_and_closed_sockets_fail_by_name()
    {
        RequireAttributes();
        await RunAsync(async (backend, token) =>
        {
            var custom = new TypedAttribute<string>("NoSuchThing");
            ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
            var (client, server) = await StreamTestHelpers.ConnectPairAsync(backend, listener, token);
            await using (server)
            {
                Assert.False(client.TryGetAttribute(custom, out _));
                Assert.Equal("fallback", client.GetAttribute(custom, "fallback"));
                KeyNotFoundException missing = Assert.Throws<KeyNotFoundException>(() => client.GetAttribute(custom));
                Assert.Contains("NoSuchThing", missing.Message, StringComparison.Ordinal);
                Assert.Contains("PeerCredentials", Assert.Throws<KeyNotFoundException>(() => client.GetAttribute(TypedAttributes.PeerCredentials)).Message, StringComparison.Ordinal);

                SocketException refused = Assert.Throws<SocketException>(() => client.SetOption(SolSocket, 9999, 1));
                Assert.Contains("9999", refused.Message, StringComparison.Ordinal);
                Assert.Throws<SocketException>(() => listener.GetOption(9999, 1));

                await client.DisposeAsync();
                await listener.DisposeAsync();
                Assert.Throws<ClosedResourceException>(() => client.GetAttribute(TypedAttributes.RawHandle));
                Assert.Throws<ClosedResourceException>(() => client.SetOption(SolSocket, SoKeepAlive, 1));
                Assert.Throws<ClosedResourceException>(() => client.GetOption(IpProtoTcp, TcpNoDelay));
                Assert.Throws<ClosedResourceException>(() => listener.GetAttribute(TypedAttributes.RawHandle));
                Assert.Throws<ClosedResourceException>(() => listener.SetOption(SolSocket, SoRcvBuf, 4096));
            }
        });
    }

    [SkippableFact]
    public virtual async Task A_wrapper_adds_its_attributes_and_forwards_the_rest()
    {
        RequireAttributes();
        await RunAsync(async (backend, token) =>
        {
            await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
            var (client, server) = await StreamTestHelpers.ConnectPairAsync(backend, listener, token);
            await using (client)
            await using (server)
            {
                var wrapper = new LabelledStream(new LabelledStream(client, "inner"), "outer");
                Assert.Equal("outer", wrapper.GetAttribute(LabelledStream.Label));
                Assert.Equal(client.RemoteEndPoint, wrapper.GetAttribute(TypedAttributes.RemoteEndPoint));
                Assert.Equal(client.GetAttribute(TypedAttributes.RawHandle), wrapper.GetAttribute(TypedAttributes.RawHandle));
                Assert.False(wrapper.TryGetAttribute(TypedAttributes.PeerCredentials, out _));
            }
        });
    }

    [SkippableFact]
    public virtual async Task The_library_wrappers_forward_the_socket_attributes()
    {
        RequireAttributes();
        await RunAsync(async (backend, token) =>
        {
            await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
            var (client, server) = await StreamTestHelpers.ConnectPairAsync(backend, listener, token);
            await using (client)
            await using (server)
            {
                nint handle = client.GetAttribute(TypedAttributes.RawHandle);
                var buffered = new BufferedByteStream(client, leaveOpen: true);
                ITypedAttributeProvider[] wrappers =
                [
                    buffered,
                    new BufferedByteReceiveStream(client, leaveOpen: true),
                    new TextStream(client, leaveOpen: true),
                    new TextReceiveStream(client, leaveOpen: true),
                    new TextSendStream(client, leaveOpen: true),
                    new StapledByteStream(client, server),
                    new LengthPrefixedFrameStream(client, leaveOpen: true),
                    new LineFrameStream(client, leaveOpen: true),
                    new LengthPrefixedFrameStream(buffered, leaveOpen: true),
                    new TextStream(new BufferedByteStream(client, leaveOpen: true), leaveOpen: true),
                ];
                foreach (ITypedAttributeProvider wrapper in wrappers)
                {
                    string name = wrapper.GetType().Name;
                    Assert.True(wrapper.TryGetAttribute(TypedAttributes.RawHandle, out nint seen), name);
                    Assert.Equal(handle, seen);
                    Assert.Equal(client.RemoteEndPoint, wrapper.GetAttribute(TypedAttributes.RemoteEndPoint));
                    Assert.False(wrapper.TryGetAttribute(TypedAttributes.PeerCredentials, out _), name);
                }

                // A stapled stream asks its send stream first (AnyIO: the send stream's attributes win).
                var stapled = new StapledByteStream(server, client);
                Assert.Equal(server.GetAttribute(TypedAttributes.RawHandle), stapled.GetAttribute(TypedAttributes.RawHandle));
                var objects = new StapledObjectStream<string>(new TextSendStream(server, leaveOpen: true), new TextReceiveStream(client, leaveOpen: true));
                Assert.Equal(server.GetAttribute(TypedAttributes.RawHandle), objects.GetAttribute(TypedAttributes.RawHandle));
            }
        });
    }

    [SkippableFact]
    public virtual async Task Tls_streams_report_their_session_and_forward_the_socket_attributes()
    {
        RequireAttributes();
        await RunAsync(async (backend, token) =>
        {
            await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
            var (clientTransport, serverTransport) = await StreamTestHelpers.ConnectPairAsync(backend, listener, token);
            Task<AnyNet.Tls.TlsStream> serverTls = AnyNet.Tls.TlsStream.WrapServerAsync(serverTransport, TestCertificates.Server(null, "anynet/1"), cancellationToken: token);
            Task<AnyNet.Tls.TlsStream> clientTls = AnyNet.Tls.TlsStream.WrapClientAsync(clientTransport, TestCertificates.Client("localhost", null, "anynet/1"), cancellationToken: token);
            await Task.WhenAll(serverTls, clientTls);
            await using AnyNet.Tls.TlsStream client = await clientTls;
            await using AnyNet.Tls.TlsStream server = await serverTls;

            foreach (AnyNet.Tls.TlsStream tls in new[] { client, server })
            {
                Assert.Equal(tls.NegotiatedProtocol, tls.GetAttribute(AnyNet.Tls.TlsAttributes.Protocol));
                Assert.NotEqual(System.Security.Authentication.SslProtocols.None, tls.GetAttribute(AnyNet.Tls.TlsAttributes.Protocol));
                Assert.Equal(tls.NegotiatedCipherSuite, tls.GetAttribute(AnyNet.Tls.TlsAttributes.CipherSuite));
                Assert.Equal("anynet/1", tls.GetAttribute(AnyNet.Tls.TlsAttributes.ApplicationProtocol).ToString());
                Assert.Equal(tls.IsServer, tls.GetAttribute(AnyNet.Tls.TlsAttributes.IsServer));
                Assert.True(tls.GetAttribute(AnyNet.Tls.TlsAttributes.StandardCompatible));
                Assert.Equal("localhost", tls.GetAttribute(AnyNet.Tls.TlsAttributes.ServerName));
            }

            // The client sees the server's certificate; the server got none from the client.
            Assert.Equal(TestCertificates.Localhost.Thumbprint, client.GetAttribute(AnyNet.Tls.TlsAttributes.PeerCertificate).Thumbprint);
            Assert.False(server.TryGetAttribute(AnyNet.Tls.TlsAttributes.PeerCertificate, out _));

            // Socket attributes read through TLS, and through a wrapper over TLS.
            Assert.Equal(clientTransport.GetAttribute(TypedAttributes.RawHandle), client.GetAttribute(TypedAttributes.RawHandle));
            Assert.Equal(serverTransport.RemoteEndPoint, server.GetAttribute(TypedAttributes.RemoteEndPoint));
            var framed = new LineFrameStream(client, leaveOpen: true);
            Assert.Equal(client.NegotiatedProtocol, framed.GetAttribute(AnyNet.Tls.TlsAttributes.Protocol));
            Assert.Equal(clientTransport.LocalEndPoint, framed.GetAttribute(TypedAttributes.LocalEndPoint));
        });
    }

    [SkippableFact]
    public virtual async Task Option_calls_from_other_threads_race_a_close_safely()
    {
        RequireAttributes();
        await RunAsync(async (backend, token) =>
        {
            await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
            for (int round = 0; round < 30; round++)
            {
                var (client, server) = await StreamTestHelpers.ConnectPairAsync(backend, listener, token);
                await using (server)
                {
                    // Another thread uses the descriptor's options without pause while the stream is closed: every call
                    // either works or reports the close; none may reach a descriptor already closed (EBADF) or reused.
                    var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    Task<int> hammer = Task.Run(() =>
                    {
                        for (int calls = 0; calls < 50_000_000; calls++)
                        {
                            try
                            {
                                client.SetOption(SolSocket, SoKeepAlive, calls & 1);
                                _ = client.GetOption(SolSocket, SoKeepAlive);
                                _ = client.GetAttribute(TypedAttributes.RawHandle);
                            }
                            catch (ClosedResourceException)
                            {
                                return calls;
                            }

                            started.TrySetResult();
                        }

                        return -1;
                    }, token);
                    await started.Task.WaitAsync(token);
                    await client.DisposeAsync();
                    Assert.True(await hammer > 0, "the option calls never saw the close");
                }
            }
        }, TimeSpan.FromSeconds(60));
    }

    [SkippableFact]
    public virtual void Options_on_a_descriptor_that_is_not_a_socket_fail_with_ENOTSOCK()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the descriptor helpers are Linux-only");
        using Microsoft.Win32.SafeHandles.SafeFileHandle file = System.IO.File.OpenHandle("/proc/self/status");
        int fd = (int)file.DangerousGetHandle();
        SocketException error = Assert.Throws<SocketException>(() => SocketAttributes.GetOption(fd, SolSocket, SoKeepAlive, new byte[4]));
        Assert.Equal(SocketError.NotSocket, error.SocketErrorCode);
        Assert.Contains($"fd {fd}", error.Message, StringComparison.Ordinal);
    }

    private static void AssertIsSocketDescriptor(nint handle)
    {
        Assert.True(handle >= 0, $"raw handle {handle}");
        if (OperatingSystem.IsLinux())
        {
            string? target = new FileInfo($"/proc/self/fd/{handle}").LinkTarget;
            Assert.StartsWith("socket:[", target, StringComparison.Ordinal);
        }
    }

    private bool Ipv6Usable() => Capabilities.HasFlag(BackendCapabilities.Ipv6) && StreamTestHelpers.Ipv6LoopbackUsable();

    /// <summary>The effective uid and gid, from /proc/self/status ("Uid: real effective saved fs").</summary>
    private static (uint Uid, uint Gid) OwnIds()
    {
        uint uid = 0;
        uint gid = 0;
        foreach (string line in System.IO.File.ReadAllLines("/proc/self/status"))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
            {
                uid = uint.Parse(line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[2], System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("Gid:", StringComparison.Ordinal))
            {
                gid = uint.Parse(line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[2], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return (uid, gid);
    }

    /// <summary>A wrapper stream of the kind TLS or buffering is: adds one attribute, forwards every other one.</summary>
    private sealed class LabelledStream(IByteStream inner, string label) : IByteStream, ITypedAttributeProvider
    {
        public static readonly TypedAttribute<string> Label = new("Label");

        public bool TryGetAttribute<T>(TypedAttribute<T> attribute, [MaybeNullWhen(false)] out T value)
        {
            if (ReferenceEquals(attribute, Label))
            {
                value = (T)(object)label;
                return true;
            }

            return TypedAttributes.Forward(inner, attribute, out value);
        }

        public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReceiveAsync(buffer, cancellationToken);

        public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) => inner.SendAsync(data, cancellationToken);

        public ValueTask SendEofAsync(CancellationToken cancellationToken = default) => inner.SendEofAsync(cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
