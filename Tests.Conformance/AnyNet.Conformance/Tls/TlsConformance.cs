using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using AnyNet.Testing;
using AnyNet.Tls;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// The TLS rules beyond the generic stream checks: the ragged-EOF rule (strict and not), close_notify, ALPN, SNI, the
/// peer certificate, failures that name their cause, handshakes that cannot stall the server, and a real external
/// client (openssl s_client).
/// </summary>
public abstract class TlsConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    private async Task WithTcpTransportsAsync(Func<ISocketStream, ISocketStream, CancellationToken, Task> body) =>
        await RunAsync(async (backend, token) =>
        {
            await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
            (ISocketStream client, ISocketStream server) = await StreamTestHelpers.ConnectPairAsync(backend, listener, token);
            await using (client)
            await using (server)
            {
                await body(client, server, token);
            }
        });

    [SkippableFact]
    public virtual Task A_transport_end_without_close_notify_is_BrokenResourceException_by_default() => WithTcpTransportsAsync(async (clientTransport, serverTransport, token) =>
    {
        (TlsStream client, TlsStream server) = await TlsPairs.HandshakeAsync(clientTransport, serverTransport, cancellationToken: token);
        await using (client)
        await using (server)
        {
            Assert.True(server.StandardCompatible);
            await client.SendAsync("partial"u8.ToArray(), token);
            await clientTransport.SendEofAsync(token);   // TCP ends (FIN), no close_notify
            Assert.Equal("partial"u8.ToArray(), await server.ReceiveExactlyAsync(7, token));
            BrokenResourceException ragged = await Assert.ThrowsAsync<BrokenResourceException>(async () => await server.ReceiveAsync(new byte[16], token));
            Assert.Contains("close_notify", ragged.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<BrokenResourceException>(async () => await server.ReceiveAsync(new byte[16], token));
        }
    });

    [SkippableFact]
    public virtual Task A_non_standard_compatible_stream_reports_a_ragged_end_as_the_end() => WithTcpTransportsAsync(async (clientTransport, serverTransport, token) =>
    {
        (TlsStream client, TlsStream server) = await TlsPairs.HandshakeAsync(clientTransport, serverTransport, standardCompatible: false, cancellationToken: token);
        await using (client)
        await using (server)
        {
            Assert.False(server.StandardCompatible);
            await client.SendAsync("all"u8.ToArray(), token);
            await clientTransport.SendEofAsync(token);
            Assert.Equal("all"u8.ToArray(), await server.ReceiveToEndAsync(cancellationToken: token));
            Assert.Equal(0, await server.ReceiveAsync(new byte[1], token));
        }
    });

    [SkippableFact]
    public virtual Task SendEof_sends_close_notify_then_half_closes_and_the_peer_can_still_answer() => WithTcpTransportsAsync(async (clientTransport, serverTransport, token) =>
    {
        (TlsStream client, TlsStream server) = await TlsPairs.HandshakeAsync(clientTransport, serverTransport, cancellationToken: token);
        await using (client)
        await using (server)
        {
            await client.SendAsync("question"u8.ToArray(), token);
            await client.SendEofAsync(token);

            // A strict server sees a clean end (close_notify arrived), not a ragged one.
            Assert.Equal("question"u8.ToArray(), await server.ReceiveToEndAsync(cancellationToken: token));
            await server.SendAsync("answer"u8.ToArray(), token);
            await server.DisposeAsync();   // close_notify from the server too
            Assert.Equal("answer"u8.ToArray(), await client.ReceiveToEndAsync(cancellationToken: token));
        }
    });

    [SkippableFact]
    public virtual Task Disposing_sends_close_notify_so_a_strict_peer_sees_a_clean_end() => WithTcpTransportsAsync(async (clientTransport, serverTransport, token) =>
    {
        (TlsStream client, TlsStream server) = await TlsPairs.HandshakeAsync(clientTransport, serverTransport, cancellationToken: token);
        await using (server)
        {
            await client.SendAsync("bye"u8.ToArray(), token);
            await client.DisposeAsync();
            Assert.Equal("bye"u8.ToArray(), await server.ReceiveToEndAsync(cancellationToken: token));
        }
    });

    [SkippableFact]
    public virtual Task ALPN_protocol_version_and_the_peer_certificate_are_exposed() => WithTcpTransportsAsync(async (clientTransport, serverTransport, token) =>
    {
        Task<TlsStream> serverTask = TlsStream.WrapServerAsync(serverTransport, TestCertificates.Server(null, "h2", "http/1.1"), cancellationToken: token);
        Task<TlsStream> clientTask = TlsStream.WrapClientAsync(clientTransport, TestCertificates.Client("localhost", null, "anynet/1", "http/1.1"), cancellationToken: token);
        await Task.WhenAll(serverTask, clientTask);
        await using TlsStream server = await serverTask;
        await using TlsStream client = await clientTask;

        Assert.Equal("http/1.1", client.NegotiatedApplicationProtocol.ToString());
        Assert.Equal("http/1.1", server.NegotiatedApplicationProtocol.ToString());
        Assert.True(client.NegotiatedProtocol is SslProtocols.Tls12 or SslProtocols.Tls13, $"negotiated {client.NegotiatedProtocol}");
        Assert.Equal(client.NegotiatedProtocol, server.NegotiatedProtocol);
        Assert.NotNull(client.RemoteCertificate);
        Assert.Equal(TestCertificates.Localhost.Thumbprint, client.RemoteCertificate.Thumbprint);
        Assert.Null(server.RemoteCertificate);
        Assert.False(client.IsServer);
        Assert.True(server.IsServer);
        Assert.Same(clientTransport, client.Transport);
    });

    [SkippableFact]
    public virtual Task Properties_before_the_handshake_say_it_has_not_happened() => RunAsync(async (_, token) =>
    {
        (MemoryByteStream left, MemoryByteStream right) = MemoryByteStream.CreatePair();
        await using var listener = new OneShotListener(right);
        await using TlsListener tls = listener.WithTls(TestCertificates.Server());
        await using TlsStream pending = await tls.AcceptAsync(token);
        Assert.False(pending.IsAuthenticated);
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => pending.NegotiatedProtocol);
        Assert.Contains("HandshakeAsync", error.Message, StringComparison.Ordinal);
        await left.DisposeAsync();
    });

    [SkippableFact]
    public virtual Task ConnectTcpAsync_sets_SNI_to_the_host_and_the_server_sees_it() => WithTlsServerAsync(async (backend, port, _, token) =>
    {
        SslClientAuthenticationOptions options = TestCertificates.Client(targetHost: null);
        await using TlsStream client = await backend.ConnectTcpAsync("localhost", port, options, cancellationToken: token);
        Assert.Null(options.TargetHost);   // the caller's options are not changed
        Assert.Equal("localhost", client.TargetHostName);
        await client.SendAsync("sni?"u8.ToArray(), token);
        await client.SendEofAsync(token);
        Assert.Equal("localhost"u8.ToArray(), await client.ReceiveToEndAsync(cancellationToken: token));
    });

    [SkippableFact]
    public virtual Task An_untrusted_certificate_fails_with_a_message_naming_the_cause_and_the_server_keeps_serving() => WithTlsServerAsync(async (backend, port, failures, token) =>
    {
        var options = new SslClientAuthenticationOptions { TargetHost = "localhost" };   // the system's trust store: the test CA is not in it
        AuthenticationException error = await Assert.ThrowsAsync<AuthenticationException>(async () => await backend.ConnectTcpAsync("127.0.0.1", port, options, cancellationToken: token));
        Assert.Contains("RemoteCertificateChainErrors", error.Message, StringComparison.Ordinal);
        Assert.Contains("CN=localhost", error.Message, StringComparison.Ordinal);
        await AssertStillServesAsync(backend, port, token);
    });

    [SkippableFact]
    public virtual Task A_certificate_for_another_host_fails_with_a_message_naming_the_mismatch() => WithTlsServerAsync(async (backend, port, failures, token) =>
    {
        SslClientAuthenticationOptions options = TestCertificates.Client(targetHost: "wrong.example");
        AuthenticationException error = await Assert.ThrowsAsync<AuthenticationException>(async () => await backend.ConnectTcpAsync("127.0.0.1", port, options, cancellationToken: token));
        Assert.Contains("RemoteCertificateNameMismatch", error.Message, StringComparison.Ordinal);
        Assert.Contains("wrong.example", error.Message, StringComparison.Ordinal);
        Assert.Contains("localhost", error.Message, StringComparison.Ordinal);
        await AssertStillServesAsync(backend, port, token);
    });

    [SkippableFact]
    public virtual Task A_client_that_sends_plaintext_HTTP_gets_a_named_error_and_the_server_keeps_serving() => WithTlsServerAsync(async (backend, port, failures, token) =>
    {
        await using (ISocketStream plain = await backend.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, port), token))
        {
            await plain.SendAsync("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"u8.ToArray(), token);
            Exception failure = await failures.ReceiveAsync(token);
            AuthenticationException named = Assert.IsType<AuthenticationException>(failure);
            Assert.Contains("plaintext HTTP", named.Message, StringComparison.Ordinal);
            Assert.Contains("GET / HT", named.Message, StringComparison.Ordinal);
        }

        await AssertStillServesAsync(backend, port, token);
    });

    [SkippableFact]
    public virtual Task A_client_that_never_handshakes_times_out_without_stalling_anyone() => RunAsync(async (backend, token) =>
    {
        var clock = new ManualTimeProvider();
        var (failed, failures) = MemoryObjectStream.CreateUnbounded<Exception>();
        var tlsOptions = new TlsListenerOptions { HandshakeTimeout = TimeSpan.FromSeconds(5), TimeProvider = clock, HandshakeFailed = e => failed.TrySend(e) };
        await TaskGroup.RunAsync(async group =>
        {
            int port = await group.StartAsync<int>(async (started, t) =>
            {
                await using TlsListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4).WithTls(TestCertificates.Server(), tlsOptions);
                started(((IPEndPoint)listener.LocalEndPoint).Port);
                await listener.ServeAsync(EchoSniAsync, t);
            }, token);

            // A client connects and never sends a byte; its handshake waits on the (manual) clock.
            await using ISocketStream silent = await backend.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, port), token);
            await clock.WaitForArmedTimersAsync(1, token);

            // Meanwhile others are served at once.
            await AssertStillServesAsync(backend, port, token);
            await AssertStillServesAsync(backend, port, token);
            Assert.Equal(0, failures.GetStatistics().CurrentBufferUsed);

            clock.Advance(TimeSpan.FromSeconds(5));
            TimeoutException timeout = Assert.IsType<TimeoutException>(await failures.ReceiveAsync(token));
            Assert.Contains("did not finish within", timeout.Message, StringComparison.Ordinal);
            Assert.Equal(0, await silent.ReceiveAsync(new byte[1], token));   // the server closed it
            group.Cancel();
        }, token);
    });

    [SkippableFact]
    public virtual Task AcceptAsync_returns_before_the_handshake_so_a_silent_client_does_not_block_the_next() => RunAsync(async (backend, token) =>
    {
        await using TlsListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4).WithTls(TestCertificates.Server());
        var endPoint = (IPEndPoint)listener.LocalEndPoint;
        await using ISocketStream silent = await backend.ConnectTcpAsync(endPoint, token);
        await using TlsStream first = await listener.AcceptAsync(token);
        Assert.False(first.IsAuthenticated);

        Task<TlsStream> client = TlsStream.WrapClientAsync(await backend.ConnectTcpAsync(endPoint, token), TestCertificates.Client(), cancellationToken: token);
        await using TlsStream second = await listener.AcceptAsync(token);
        await second.HandshakeAsync(token);   // the first still has not sent a byte
        await using TlsStream connected = await client;
        await connected.SendAsync("hi"u8.ToArray(), token);
        Assert.Equal("hi"u8.ToArray(), await second.ReceiveExactlyAsync(2, token));
    });

    [SkippableFact]
    public virtual Task An_openssl_s_client_delivers_its_data_intact_to_an_AnyNet_TLS_server() => RunAsync(async (backend, token) =>
    {
        string? openssl = FindOnPath("openssl");
        Skip.If(openssl is null, "skipped: openssl is not installed (apt-get install -y openssl)");
        Skip.IfNot(backend.Capabilities.HasFlag(BackendCapabilities.OperatingSystemSockets), $"skipped: the '{backend.Name}' backend does not declare OperatingSystemSockets (openssl s_client is another process, which reaches only OS sockets).");
        string caFile = Path.Combine(Path.GetTempPath(), $"anynet-ca-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(caFile, TestCertificates.ToPem(TestCertificates.Localhost), token);
        try
        {
            byte[] payload = System.Text.Encoding.ASCII.GetBytes(string.Join('\n', Enumerable.Range(0, 2000).Select(i => $"line {i} from openssl")) + "\n");
            await TaskGroup.RunAsync(async group =>
            {
                await using TlsListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4).WithTls(TestCertificates.Server());
                int port = ((IPEndPoint)listener.LocalEndPoint).Port;
                Task<TlsStream> accepted = listener.AcceptAsync(token).AsTask();

                var start = new ProcessStartInfo(openssl!)
                {
                    RedirectStandardInput = true,
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                };
                foreach (string argument in new[] { "s_client", "-connect", $"127.0.0.1:{port}", "-servername", "localhost", "-CAfile", caFile, "-verify_return_error", "-verify_hostname", "localhost" })
                {
                    start.ArgumentList.Add(argument);
                }

                using Process process = Process.Start(start)!;
                Task<string> stdout = process.StandardOutput.ReadToEndAsync(token);
                Task<string> stderr = process.StandardError.ReadToEndAsync(token);

                await using TlsStream server = await accepted;
                await server.HandshakeAsync(token);
                Assert.Equal("localhost", server.TargetHostName);   // openssl's SNI

                // Stdin's end makes s_client send close_notify, so a strict server sees a clean end.
                await process.StandardInput.BaseStream.WriteAsync(payload, token);
                process.StandardInput.Close();
                byte[] received = await server.ReceiveToEndAsync(cancellationToken: token);
                await process.WaitForExitAsync(token);
                string log = await stdout + await stderr;
                Assert.True(payload.AsSpan().SequenceEqual(received), $"openssl's data arrived changed ({received.Length} of {payload.Length} bytes). openssl said:\n{log}");
                Assert.True(process.ExitCode == 0, $"openssl s_client exited with {process.ExitCode}:\n{log}");
                Assert.Contains("Verify return code: 0 (ok)", log, StringComparison.Ordinal);
                group.Cancel();
            }, token);
        }
        finally
        {
            File.Delete(caFile);
        }
    });

    /// <summary>The server of the failure tests: a TLS listener whose handler sends back the SNI it saw and then closes.</summary>
    private Task WithTlsServerAsync(Func<IAsyncBackend, int, MemoryObjectReceiveStream<Exception>, CancellationToken, Task> body) => RunAsync(async (backend, token) =>
    {
        var (failed, failures) = MemoryObjectStream.CreateUnbounded<Exception>();
        // The handshake timeout runs on real time: none of these tests is about it, and SslStream does its cryptography
        // in continuations that leave a simulated backend's scheduler (ConfigureAwait(false)), so on sim a virtual 10 s
        // timer could fire while a client's certificate check still runs and turn its AuthenticationException into a
        // broken transport. The timeout tests use a manual clock of their own.
        var tlsOptions = new TlsListenerOptions { TimeProvider = TimeProvider.System, HandshakeFailed = e => failed.TrySend(e) };
        await TaskGroup.RunAsync(async group =>
        {
            int port = await group.StartAsync<int>(async (started, t) =>
            {
                await using TlsListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4).WithTls(TestCertificates.Server(), tlsOptions);
                started(((IPEndPoint)listener.LocalEndPoint).Port);
                await listener.ServeAsync(EchoSniAsync, t);
            }, token);
            await body(backend, port, failures, token);
            group.Cancel();
        }, token);
    });

    private static async Task EchoSniAsync(TlsStream stream, CancellationToken token)
    {
        try
        {
            await stream.ReceiveToEndAsync(cancellationToken: token);
            await stream.SendAsync(System.Text.Encoding.ASCII.GetBytes(stream.TargetHostName), token);
            await stream.SendEofAsync(token);
        }
        catch (BrokenResourceException)
        {
            // A client that rejected our certificate after the server's side of the handshake was done (TLS 1.3 lets the
            // server finish first) just goes away: that is its failure to report, not the server's.
        }
    }

    private static async Task AssertStillServesAsync(IAsyncBackend backend, int port, CancellationToken token)
    {
        await using TlsStream client = await backend.ConnectTcpAsync("localhost", port, TestCertificates.Client(), cancellationToken: token);
        await client.SendAsync("x"u8.ToArray(), token);
        await client.SendEofAsync(token);
        Assert.Equal("localhost"u8.ToArray(), await client.ReceiveToEndAsync(cancellationToken: token));
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);

    /// <summary>A listener that hands out one given stream, then waits until it is disposed.</summary>
    private sealed class OneShotListener(IByteStream stream) : IListener<IByteStream>
    {
        private IByteStream? _next = stream;

        public EndPoint LocalEndPoint => new IPEndPoint(IPAddress.None, 0);

        public ValueTask<IByteStream> AcceptAsync(CancellationToken cancellationToken = default) =>
            Interlocked.Exchange(ref _next, null) is { } next ? ValueTask.FromResult(next) : throw new ClosedResourceException("No more connections.");

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
