using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Security.Authentication;
using AnyNet.Diagnostics;
using AnyNet.Hosting;
using AnyNet.Tls;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// Server-side telemetry: the instruments of hosted servers carry OpenTelemetry's tag names, a served connection is a
/// span with an accept span inside it and the handler's own spans beneath, and TLS handshakes (both sides) are
/// measured and traced. Span and TLS listeners are process-wide, so each test picks out its own records by port.
/// </summary>
public abstract class ServerTelemetryConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    private const string Loopback = "tcp:127.0.0.1:0";

    [SkippableFact]
    public virtual Task Every_server_instrument_carries_the_semantic_convention_tags_of_its_endpoint() => RunAsync(async (client, token) =>
    {
        await using TestHost host = TestHosts.Build(Fixture, builder => builder.AddAnyNetServer(Loopback, EchoAsync));
        using var metrics = new MetricCapture(host.Services.GetRequiredService<IMeterFactory>());
        await host.Host.StartAsync(token);
        IPEndPoint bound = host.Server.LocalEndPoint!.IPEndPoint!;
        await using (ISocketStream connection = await client.ConnectAsync(host.Server.LocalEndPoint!, token))
        {
            await connection.SendAsync("ping"u8.ToArray(), token);
            await connection.SendEofAsync(token);
            Assert.Equal("ping"u8.ToArray(), await connection.ReceiveToEndAsync(cancellationToken: token));
        }

        await host.Host.StopAsync(token);
        IReadOnlyList<MeasurementRecord> all =
        [
            .. metrics.Of(AnyNetInstrumentation.ActiveConnections), .. metrics.Of(AnyNetInstrumentation.ConnectionDuration),
            .. metrics.Of(AnyNetInstrumentation.BytesReceived), .. metrics.Of(AnyNetInstrumentation.BytesSent),
        ];
        // One of each at least (the bytes may come in several receives).
        Assert.Equal(4, all.Select(m => m.Instrument).Distinct().Count());
        Assert.All(all, m =>
        {
            Assert.Equal("127.0.0.1", m.Tags[AnyNetInstrumentation.ServerAddressTag]);
            Assert.Equal(bound.Port, m.Tags[AnyNetInstrumentation.ServerPortTag]);
            Assert.Equal("tcp", m.Tags[AnyNetInstrumentation.NetworkTransportTag]);
            Assert.Equal("ipv4", m.Tags[AnyNetInstrumentation.NetworkTypeTag]);
            Assert.Equal(host.Backend.Name, m.Tags[AnyNetInstrumentation.BackendTag]);
            Assert.False(m.Tags.ContainsKey("anynet.endpoint"), "the old custom endpoint tag is still there");
        });
    });

    [SkippableFact]
    public virtual Task A_unix_server_is_tagged_with_its_path_and_the_unix_transport() => RunAsync(async (client, token) =>
    {
        RequireCapability(BackendCapabilities.UnixSockets, "a unix: endpoint needs Unix domain sockets");
        string path = StreamTestHelpers.NewUnixPath();
        await using TestHost host = TestHosts.Build(Fixture, builder => builder.AddAnyNetServer("unix:" + path, EchoAsync));
        using var metrics = new MetricCapture(host.Services.GetRequiredService<IMeterFactory>());
        await host.Host.StartAsync(token);
        await using (ISocketStream connection = await client.ConnectAsync(host.Server.LocalEndPoint!, token))
        {
            await connection.SendEofAsync(token);
            Assert.Empty(await connection.ReceiveToEndAsync(cancellationToken: token));
        }

        await host.Host.StopAsync(token);
        MeasurementRecord duration = Assert.Single(metrics.Of(AnyNetInstrumentation.ConnectionDuration));
        Assert.Equal(path, duration.Tags[AnyNetInstrumentation.ServerAddressTag]);
        Assert.Equal("unix", duration.Tags[AnyNetInstrumentation.NetworkTransportTag]);
        Assert.False(duration.Tags.ContainsKey(AnyNetInstrumentation.ServerPortTag));
        Assert.False(duration.Tags.ContainsKey(AnyNetInstrumentation.NetworkTypeTag));
    });

    [SkippableFact]
    public virtual Task A_served_connection_is_a_server_span_holding_its_accept_span_and_the_handlers_spans() => RunAsync(async (client, token) =>
    {
        using var spans = new SpanRecorder();
        var handlerParent = new TaskCompletionSource<ActivitySpanId?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TestHost host = TestHosts.Build(Fixture, builder => builder.AddAnyNetServer(Loopback, async (connection, t) =>
        {
            handlerParent.TrySetResult(Activity.Current?.SpanId);
            await EchoAsync(connection, t);
        }));
        await host.Host.StartAsync(token);
        int port = host.Server.LocalEndPoint!.IPEndPoint!.Port;
        EndPoint clientEnd;
        await using (ISocketStream connection = await client.ConnectAsync(host.Server.LocalEndPoint!, token))
        {
            clientEnd = connection.LocalEndPoint;
            await connection.SendAsync("hello"u8.ToArray(), token);
            await connection.SendEofAsync(token);
            Assert.Equal("hello"u8.ToArray(), await connection.ReceiveToEndAsync(cancellationToken: token));
        }

        await host.Host.StopAsync(token);
        Activity served = Assert.Single(spans.Named(AnyNetTelemetry.ServerConnectionActivity, port));
        Assert.Equal(ActivityKind.Server, served.Kind);
        Assert.Equal(default, served.ParentSpanId);
        Assert.Equal("127.0.0.1", served.GetTagItem(AnyNetTelemetry.ServerAddressTag));
        Assert.Equal("tcp", served.GetTagItem(AnyNetTelemetry.NetworkTransportTag));
        Assert.Equal("ipv4", served.GetTagItem(AnyNetTelemetry.NetworkTypeTag));
        Assert.Equal(host.Backend.Name, served.GetTagItem(AnyNetInstrumentation.BackendTag));
        if (clientEnd is IPEndPoint clientIp)
        {
            Assert.Equal(clientIp.Port, served.GetTagItem("network.peer.port"));
        }

        Assert.Equal(5L, served.GetTagItem(AnyNetInstrumentation.BytesReceived));
        Assert.Equal(ActivityStatusCode.Unset, served.Status);

        Activity accept = Assert.Single(spans.Named(AnyNetTelemetry.AcceptActivity, port));
        Assert.Equal(served.SpanId, accept.ParentSpanId);
        Assert.True(accept.StartTimeUtc >= served.StartTimeUtc && accept.StartTimeUtc + accept.Duration <= served.StartTimeUtc + served.Duration);
        Assert.Equal(served.SpanId, await handlerParent.Task.WaitAsync(token));
    });

    [SkippableFact]
    public virtual Task A_connection_rejected_at_the_limit_ends_its_spans_with_the_connection_limit_error() => RunAsync(async (client, token) =>
    {
        using var spans = new SpanRecorder();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TestHost host = TestHosts.Build(Fixture, builder => builder.AddAnyNetServer(
            Loopback,
            async (connection, t) =>
            {
                entered.TrySetResult();
                await EchoAsync(connection, t);
            },
            options => options.MaxConnections = 1));
        await host.Host.StartAsync(token);
        int port = host.Server.LocalEndPoint!.IPEndPoint!.Port;
        await using ISocketStream served = await client.ConnectAsync(host.Server.LocalEndPoint!, token);
        await entered.Task.WaitAsync(token);
        await using (ISocketStream rejected = await client.ConnectAsync(host.Server.LocalEndPoint!, token))
        {
            try
            {
                Assert.Equal(0, await rejected.ReceiveAsync(new byte[1], token));
            }
            catch (BrokenResourceException)
            {
            }
        }

        await served.SendEofAsync(token);
        Assert.Empty(await served.ReceiveToEndAsync(cancellationToken: token));
        await host.Host.StopAsync(token);

        IReadOnlyList<Activity> connections = spans.Named(AnyNetTelemetry.ServerConnectionActivity, port);
        Assert.Equal(2, connections.Count);
        Activity refused = Assert.Single(connections, a => a.Status == ActivityStatusCode.Error);
        Assert.Equal("connection_limit", refused.GetTagItem(AnyNetTelemetry.ErrorTypeTag));
        Activity refusedAccept = Assert.Single(spans.Named(AnyNetTelemetry.AcceptActivity, port), a => a.ParentSpanId == refused.SpanId);
        Assert.Equal("connection_limit", refusedAccept.GetTagItem(AnyNetTelemetry.ErrorTypeTag));
    });

    [SkippableFact]
    public virtual Task A_tls_handshake_is_measured_and_traced_on_both_sides() => RunAsync(async (backend, token) =>
    {
        using var spans = new SpanRecorder();
        using var metrics = new ProcessMetricRecorder();
        await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
        int port = ((IPEndPoint)listener.LocalEndPoint).Port;
        (ISocketStream clientTransport, ISocketStream serverTransport) = await StreamTestHelpers.ConnectPairAsync(backend, listener, token);
        (TlsStream clientTls, TlsStream serverTls) = await TlsPairs.HandshakeAsync(clientTransport, serverTransport, cancellationToken: token);
        string version = clientTls.NegotiatedProtocol == SslProtocols.Tls13 ? "1.3" : "1.2";
        await clientTls.DisposeAsync();
        await serverTls.DisposeAsync();

        IReadOnlyList<MeasurementRecord> durations = metrics.Of(AnyNetTelemetry.TlsHandshakeDuration, port);
        Assert.Equal(2, durations.Count);
        MeasurementRecord server = Assert.Single(durations, m => Equals(m.Tags[AnyNetTelemetry.TlsRoleTag], "server"));
        MeasurementRecord clientSide = Assert.Single(durations, m => Equals(m.Tags[AnyNetTelemetry.TlsRoleTag], "client"));
        Assert.All(durations, m =>
        {
            Assert.True(m.Value >= 0);
            Assert.Equal(version, m.Tags[AnyNetTelemetry.TlsProtocolVersionTag]);
            Assert.Equal("tcp", m.Tags[AnyNetTelemetry.NetworkTransportTag]);
            Assert.False(m.Tags.ContainsKey(AnyNetTelemetry.ErrorTypeTag));
        });
        Assert.Equal("127.0.0.1", server.Tags[AnyNetTelemetry.ServerAddressTag]);
        Assert.Equal("localhost", clientSide.Tags[AnyNetTelemetry.ServerAddressTag]);

        IReadOnlyList<Activity> handshakes = spans.Named(AnyNetTelemetry.TlsHandshakeActivity, port);
        Assert.Equal(2, handshakes.Count);
        Assert.All(handshakes, a =>
        {
            Assert.Equal(ActivityStatusCode.Unset, a.Status);
            Assert.Equal(version, a.GetTagItem(AnyNetTelemetry.TlsProtocolVersionTag));
        });
        Assert.Equal(["client", "server"], handshakes.Select(a => (string)a.GetTagItem(AnyNetTelemetry.TlsRoleTag)!).Order());
    });

    [SkippableFact]
    public virtual Task A_failed_tls_handshake_is_measured_and_traced_with_its_error_type() => RunAsync(async (backend, token) =>
    {
        using var spans = new SpanRecorder();
        using var metrics = new ProcessMetricRecorder();
        await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
        int port = ((IPEndPoint)listener.LocalEndPoint).Port;
        (ISocketStream plaintextClient, ISocketStream serverTransport) = await StreamTestHelpers.ConnectPairAsync(backend, listener, token);
        await using (plaintextClient)
        {
            await plaintextClient.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray(), token);
            await Assert.ThrowsAsync<AuthenticationException>(() => TlsStream.WrapServerAsync(serverTransport, TestCertificates.Server(), cancellationToken: token));
        }

        MeasurementRecord failed = Assert.Single(metrics.Of(AnyNetTelemetry.TlsHandshakeDuration, port));
        Assert.Equal("server", failed.Tags[AnyNetTelemetry.TlsRoleTag]);
        Assert.Equal(typeof(AuthenticationException).FullName, failed.Tags[AnyNetTelemetry.ErrorTypeTag]);
        Assert.False(failed.Tags.ContainsKey(AnyNetTelemetry.TlsProtocolVersionTag));
        Activity span = Assert.Single(spans.Named(AnyNetTelemetry.TlsHandshakeActivity, port));
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Equal(typeof(AuthenticationException).FullName, span.GetTagItem(AnyNetTelemetry.ErrorTypeTag));
    });

    private static async Task EchoAsync(ISocketStream connection, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[4096];
        int received;
        while ((received = await connection.ReceiveAsync(buffer, cancellationToken)) > 0)
        {
            await connection.SendAsync(buffer.AsMemory(0, received), cancellationToken);
        }

        await connection.SendEofAsync(cancellationToken);
    }
}
