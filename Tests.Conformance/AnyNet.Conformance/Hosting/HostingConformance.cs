using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using AnyNet.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// Hosted servers (AnyNet.Hosting) started and stopped through a real generic host whose backend is the one under test:
/// serving, scoped handlers, graceful drain, forced close after the drain timeout, logging, metrics and bind failures.
/// </summary>
public abstract class HostingConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    private const string BackendUnderTest = "under-test";
    private const string Loopback = "tcp:127.0.0.1:0";

    // A drain that only the host's own shutdown timeout (real time) ends. A long finite one is not "never" on a
    // virtual-time backend: while the test waits for the generic host's thread-pool work, the simulation is idle and its
    // clock jumps to the drain timer, which then force-closes the connection the test is still draining (seen on sim
    // under a load average of 18).
    private static readonly TimeSpan NoDrainTimeout = Timeout.InfiniteTimeSpan;

    [SkippableFact]
    public virtual Task A_hosted_server_serves_each_connection_through_a_handler_from_its_own_scope() => RunAsync(async (client, token) =>
    {
        var journal = new ScopeJournal();
        await using TestHost host = BuildHost(builder =>
        {
            builder.Services.AddSingleton(journal);
            builder.Services.AddScoped<ConnectionScope>();
            builder.AddAnyNetServer<EchoHandler>(Loopback);
        });
        await host.Host.StartAsync(token);
        AnyNetServer server = host.Server;
        Assert.NotNull(server.LocalEndPoint);
        Assert.NotEqual(0, server.LocalEndPoint.IPEndPoint!.Port);
        Assert.Equal(host.Backend.Name, server.BackendName);

        byte[] first = StreamTestHelpers.RandomBytes(3000, seed: 1);
        byte[] second = StreamTestHelpers.RandomBytes(70_000, seed: 2);
        Assert.Equal(first, await EchoAsync(client, server.LocalEndPoint, first, token));
        Assert.Equal(second, await EchoAsync(client, server.LocalEndPoint, second, token));

        await host.Host.StopAsync(token);
        Assert.Equal(2, journal.Created.Count);
        Assert.NotEqual(journal.Created.First(), journal.Created.Last());
        Assert.Equal(journal.Created.Order(), journal.Disposed.Order());
    });

    [SkippableFact]
    public virtual Task Several_servers_with_delegate_handlers_run_in_one_host() => RunAsync(async (client, token) =>
    {
        await using TestHost host = BuildHost(builder =>
        {
            builder.AddAnyNetServer(Loopback, (connection, t) => connection.SendAsync("one"u8.ToArray(), t).AsTask());
            builder.AddAnyNetServer(Loopback, (services, connection, t) =>
                connection.SendAsync(services.GetRequiredService<IAsyncBackend>().Name.Select(c => (byte)c).ToArray(), t).AsTask());
        });
        await host.Host.StartAsync(token);
        Assert.Equal(2, host.Servers.Count);
        Assert.NotEqual(host.Servers[0].LocalEndPoint, host.Servers[1].LocalEndPoint);

        Assert.Equal("one"u8.ToArray(), await ReceiveAllAsync(client, host.Servers[0].LocalEndPoint!, token));
        Assert.Equal(host.Backend.Name.Select(c => (byte)c).ToArray(), await ReceiveAllAsync(client, host.Servers[1].LocalEndPoint!, token));
    });

    [SkippableFact]
    public virtual Task A_unix_endpoint_is_served_and_its_socket_file_removed_at_shutdown() => RunAsync(async (client, token) =>
    {
        RequireCapability(BackendCapabilities.UnixSockets, "a unix: endpoint needs Unix domain sockets");
        string path = StreamTestHelpers.NewUnixPath();
        await using TestHost host = BuildHost(builder => builder.AddAnyNetServer<EchoHandler>("unix:" + path));
        await host.Host.StartAsync(token);
        Assert.Equal(AnyNetEndPoint.Unix(path), host.Server.LocalEndPoint);

        byte[] payload = StreamTestHelpers.RandomBytes(5000, seed: 3);
        Assert.Equal(payload, await EchoAsync(client, AnyNetEndPoint.Parse("unix:" + path), payload, token));
        await host.Host.StopAsync(token);
        Assert.False(File.Exists(path), "the socket file is still there after the host stopped");
    });

    [SkippableFact]
    public virtual Task Handlers_run_on_the_backends_loop() => RunAsync(async (client, token) =>
    {
        RequireCapability(BackendCapabilities.SingleThreadedLoop, "only a loop backend has one thread to serve connections on");
        var handlerThread = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TestHost host = BuildHost(builder => builder.AddAnyNetServer(Loopback, async (connection, t) =>
        {
            await connection.ReceiveAsync(new byte[1], t);
            handlerThread.TrySetResult(Environment.CurrentManagedThreadId);
        }));
        await host.Host.StartAsync(token);
        int loopThread = await host.Backend.RunAsync(_ => Task.FromResult(Environment.CurrentManagedThreadId), token);

        await using (ISocketStream connection = await client.ConnectAsync(host.Server.LocalEndPoint!, token))
        {
            await connection.SendAsync(new byte[] { 1 }, token);
            Assert.Equal(loopThread, await handlerThread.Task.WaitAsync(token));
        }
    });

    [SkippableFact]
    public virtual Task Stopping_the_host_stops_accepting_and_lets_open_connections_finish() => RunAsync(async (client, token) =>
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool? cancelledAtEnd = null;
        await using TestHost host = BuildHost(builder => builder.AddAnyNetServer(
            Loopback,
            async (connection, t) =>
            {
                entered.TrySetResult();
                await release.Task.WaitAsync(t);
                await connection.SendAsync("bye"u8.ToArray(), t);
                cancelledAtEnd = t.IsCancellationRequested;
            },
            options => options.DrainTimeout = NoDrainTimeout));
        await host.Host.StartAsync(token);
        AnyNetEndPoint endPoint = host.Server.LocalEndPoint!;

        await using ISocketStream open = await client.ConnectAsync(endPoint, token);
        await entered.Task.WaitAsync(token);
        Task stopping = host.Host.StopAsync(token);
        LogEntry drainStarted = await host.Log.WaitForAsync(AnyNetLogEvents.ServerStopping, token);
        Assert.Equal(1L, drainStarted.State["ActiveConnections"]);

        await Assert.ThrowsAsync<SocketException>(async () => await client.ConnectAsync(endPoint, token));
        Assert.False(stopping.IsCompleted, "the host stopped while a connection was still being served");

        release.TrySetResult();
        Assert.Equal("bye"u8.ToArray(), await open.ReceiveToEndAsync(cancellationToken: token));
        await stopping;
        Assert.False(cancelledAtEnd, "the handler was cancelled during a graceful drain");
        Assert.Empty(host.Log.WithEvent(AnyNetLogEvents.DrainTimeoutExpired));
        LogEntry summary = Assert.Single(host.Log.WithEvent(AnyNetLogEvents.ServerStopped));
        Assert.Equal(1L, summary.State["Served"]);
        Assert.Equal(0L, summary.State["ForceClosed"]);
    });

    [SkippableFact]
    public virtual Task Every_server_of_a_host_stops_accepting_before_any_drains() => RunAsync(async (client, token) =>
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int entered = 0;
        var bothEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task HoldAsync(ISocketStream connection, CancellationToken t)
        {
            if (Interlocked.Increment(ref entered) == 2)
            {
                bothEntered.TrySetResult();
            }

            await release.Task.WaitAsync(t);
            await connection.SendAsync("bye"u8.ToArray(), t);
        }

        await using TestHost host = BuildHost(builder =>
        {
            builder.AddAnyNetServer(Loopback, HoldAsync, options => options.DrainTimeout = NoDrainTimeout);
            builder.AddAnyNetServer(Loopback, HoldAsync, options => options.DrainTimeout = NoDrainTimeout);
        });
        await host.Host.StartAsync(token);
        AnyNetEndPoint[] endPoints = [.. host.Servers.Select(s => s.LocalEndPoint!)];
        await using ISocketStream first = await client.ConnectAsync(endPoints[0], token);
        await using ISocketStream second = await client.ConnectAsync(endPoints[1], token);
        await bothEntered.Task.WaitAsync(token);

        // Both servers are draining at once: were they stopped one after the other, the second would still accept
        // (and not log that it stopped) until the first one's connection ended.
        Task stopping = host.Host.StopAsync(token);
        await host.Log.WaitForAsync(AnyNetLogEvents.ServerStopping, 2, token);
        foreach (AnyNetEndPoint endPoint in endPoints)
        {
            await Assert.ThrowsAsync<SocketException>(async () => await client.ConnectAsync(endPoint, token));
        }

        Assert.False(stopping.IsCompleted);
        release.TrySetResult();
        Assert.Equal("bye"u8.ToArray(), await first.ReceiveToEndAsync(cancellationToken: token));
        Assert.Equal("bye"u8.ToArray(), await second.ReceiveToEndAsync(cancellationToken: token));
        await stopping;
        Assert.Equal(2, host.Log.WithEvent(AnyNetLogEvents.ServerStopped).Count());
    });

    [SkippableFact]
    public virtual Task After_the_drain_timeout_open_connections_are_cancelled_and_closed() => RunAsync(async (client, token) =>
    {
        int entered = 0;
        var allIn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var outcomes = new ConcurrentDictionary<byte, string>();
        await using TestHost host = BuildHost(builder => builder.AddAnyNetServer(
            Loopback,
            async (connection, t) =>
            {
                byte[] kind = new byte[1];
                Assert.Equal(1, await connection.ReceiveAsync(kind, t));
                if (Interlocked.Increment(ref entered) == 2)
                {
                    allIn.TrySetResult();
                }

                try
                {
                    if (kind[0] == (byte)'T')
                    {
                        // Watches its token: the drain timeout cancels it.
                        await Task.Delay(Timeout.InfiniteTimeSpan, TimeProvider.System, t);
                    }
                    else
                    {
                        // Ignores its token: only closing the connection can wake this receive.
                        await connection.ReceiveAsync(new byte[16], CancellationToken.None);
                    }

                    outcomes[kind[0]] = "returned";
                }
                catch (Exception error)
                {
                    outcomes[kind[0]] = error.GetType().Name;
                    throw;
                }
            },
            options => options.DrainTimeout = TimeSpan.FromMilliseconds(200)));
        await host.Host.StartAsync(token);
        AnyNetEndPoint endPoint = host.Server.LocalEndPoint!;

        await using ISocketStream watching = await client.ConnectAsync(endPoint, token);
        await using ISocketStream ignoring = await client.ConnectAsync(endPoint, token);
        await watching.SendAsync("T"u8.ToArray(), token);
        await ignoring.SendAsync("I"u8.ToArray(), token);
        await allIn.Task.WaitAsync(token);

        await host.Host.StopAsync(token);
        Assert.True(outcomes.TryGetValue((byte)'T', out string? watchingOutcome));
        Assert.Equal(nameof(TaskCanceledException), watchingOutcome);
        Assert.True(outcomes.TryGetValue((byte)'I', out string? ignoringOutcome));
        Assert.Equal(nameof(ClosedResourceException), ignoringOutcome);

        await AssertClosedByPeerAsync(watching, token);
        await AssertClosedByPeerAsync(ignoring, token);
        LogEntry expired = Assert.Single(host.Log.WithEvent(AnyNetLogEvents.DrainTimeoutExpired));
        Assert.Equal(2L, expired.State["ActiveConnections"]);
        Assert.Empty(host.Log.WithEvent(AnyNetLogEvents.HandlerFailed));
        LogEntry summary = Assert.Single(host.Log.WithEvent(AnyNetLogEvents.ServerStopped));
        Assert.Equal(2L, (long)summary.State["ForceClosed"]!);
        Assert.Equal(0L, host.Server.ActiveConnections);
    });

    [SkippableFact]
    public virtual Task A_failing_handler_is_logged_with_the_remote_endpoint_and_the_server_goes_on() => RunAsync(async (client, token) =>
    {
        int calls = 0;
        await using TestHost host = BuildHost(builder => builder.AddAnyNetServer(Loopback, async (connection, t) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                throw new InvalidDataException("bad request");
            }

            await connection.SendAsync("ok"u8.ToArray(), t);
        }));
        await host.Host.StartAsync(token);
        AnyNetEndPoint endPoint = host.Server.LocalEndPoint!;

        EndPoint failedClient;
        await using (ISocketStream first = await client.ConnectAsync(endPoint, token))
        {
            failedClient = first.LocalEndPoint;
            await AssertClosedByPeerAsync(first, token);
        }

        LogEntry failure = await host.Log.WaitForAsync(AnyNetLogEvents.HandlerFailed, token);
        Assert.Equal(LogLevel.Error, failure.Level);
        Assert.IsType<InvalidDataException>(failure.Exception);
        Assert.Equal(failedClient.ToString(), failure.State["RemoteEndPoint"]?.ToString());

        Assert.Equal("ok"u8.ToArray(), await ReceiveAllAsync(client, endPoint, token));
    });

    [SkippableFact]
    public virtual Task A_peer_that_resets_is_logged_at_Debug_without_a_stack_trace_not_as_a_failure() => RunAsync(async (client, token) =>
    {
        Skip.IfNot(client.Capabilities.HasFlag(BackendCapabilities.OperatingSystemSockets), $"skipped: the '{client.Name}' backend does not declare OperatingSystemSockets (the resetting peer is a System.Net.Sockets client with SO_LINGER 0).");
        await using TestHost host = BuildHost(builder => builder.AddAnyNetServer<EchoHandler>(Loopback));
        await host.Host.StartAsync(token);
        IPEndPoint endPoint = host.Server.LocalEndPoint!.IPEndPoint!;

        // A System.Net.Sockets client, for SO_LINGER 0: its close sends a RST to the handler blocked in a receive.
        using (var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await peer.ConnectAsync(endPoint, token);
            await peer.SendAsync("x"u8.ToArray(), token);
            byte[] echo = new byte[1];
            Assert.Equal(1, await peer.ReceiveAsync(echo, token));
            peer.LingerState = new LingerOption(true, 0);
        }

        LogEntry lost = await host.Log.WaitForAsync(AnyNetLogEvents.ConnectionLost, token);
        Assert.Equal(LogLevel.Debug, lost.Level);
        Assert.Null(lost.Exception);
        await host.Host.StopAsync(token);
        Assert.Empty(host.Log.WithEvent(AnyNetLogEvents.HandlerFailed));
        Assert.DoesNotContain(host.Log.Entries, e => e.Level >= LogLevel.Warning && e.Category.StartsWith("AnyNet.", StringComparison.Ordinal));
        LogEntry summary = Assert.Single(host.Log.WithEvent(AnyNetLogEvents.ServerStopped));
        Assert.Equal(0L, summary.State["Failed"]);
    });

    [SkippableFact]
    public virtual Task A_connection_without_traffic_for_the_idle_timeout_is_closed_and_logged_at_Debug() => RunAsync(async (client, token) =>
    {
        await using TestHost host = BuildHost(builder => builder.AddAnyNetServer<EchoHandler>(Loopback, options => options.IdleTimeout = TimeSpan.FromMilliseconds(300)));
        await host.Host.StartAsync(token);
        await using ISocketStream connection = await client.ConnectAsync(host.Server.LocalEndPoint!, token);
        await connection.SendAsync("x"u8.ToArray(), token);
        Assert.Equal("x"u8.ToArray(), await connection.ReceiveExactlyAsync(1, token));

        // Silence from here on: the server, not this side, ends the connection (the suite's hard timeout bounds it).
        await AssertClosedByPeerAsync(connection, token);
        LogEntry idle = await host.Log.WaitForAsync(AnyNetLogEvents.IdleTimeout, token);
        Assert.Equal(LogLevel.Debug, idle.Level);
        await host.Host.StopAsync(token);
        Assert.Empty(host.Log.WithEvent(AnyNetLogEvents.HandlerFailed));
        Assert.Equal(0L, host.Server.ActiveConnections);
    });

    [SkippableFact]
    public virtual Task Without_an_idle_timeout_a_silent_connection_stays_open() => RunAsync(async (client, token) =>
    {
        await using TestHost host = BuildHost(builder => builder.AddAnyNetServer<EchoHandler>(Loopback));
        await host.Host.StartAsync(token);
        await using ISocketStream connection = await client.ConnectAsync(host.Server.LocalEndPoint!, token);
        await connection.SendAsync("x"u8.ToArray(), token);
        Assert.Equal("x"u8.ToArray(), await connection.ReceiveExactlyAsync(1, token));
        Assert.True(await client.MoveOnAfterAsync(TimeSpan.FromMilliseconds(300), async t => await connection.ReceiveAsync(new byte[1], t), token));
        Assert.Empty(host.Log.WithEvent(AnyNetLogEvents.IdleTimeout));
        Assert.Equal(1L, host.Server.ActiveConnections);
    });

    [SkippableFact]
    public virtual Task A_hosted_server_with_keepalive_sets_it_on_each_connection() => RunAsync(async (client, token) =>
    {
        Skip.IfNot(client.Capabilities.HasFlag(BackendCapabilities.OperatingSystemSockets), $"skipped: the '{client.Name}' backend does not declare OperatingSystemSockets (the options are read back from the connection's file descriptor).");
        Skip.IfNot(OperatingSystem.IsLinux(), "skipped: the options are read back through /proc/self/fd and getsockopt(2) (Linux).");
        var keepAlive = new TcpKeepAlive { Idle = TimeSpan.FromSeconds(9), Interval = TimeSpan.FromSeconds(2), ProbeCount = 3 };
        await using TestHost host = BuildHost(builder => builder.AddAnyNetServer<EchoHandler>(Loopback, options => options.KeepAlive = keepAlive));
        await host.Host.StartAsync(token);
        await using ISocketStream connection = await client.ConnectAsync(host.Server.LocalEndPoint!, token);
        await connection.SendAsync("x"u8.ToArray(), token);
        Assert.Equal("x"u8.ToArray(), await connection.ReceiveExactlyAsync(1, token));

        int fd = SocketOptionReader.FindSocket(host.Server.LocalEndPoint!.IPEndPoint!, (IPEndPoint)connection.LocalEndPoint);
        Assert.Equal(1, SocketOptionReader.GetOption(fd, SocketOptionReader.SolSocket, SocketOptionReader.SoKeepAlive));
        Assert.Equal(9, SocketOptionReader.GetOption(fd, SocketOptionReader.IpProtoTcp, SocketOptionReader.TcpKeepIdle));
        Assert.Equal(2, SocketOptionReader.GetOption(fd, SocketOptionReader.IpProtoTcp, SocketOptionReader.TcpKeepIntvl));
        Assert.Equal(3, SocketOptionReader.GetOption(fd, SocketOptionReader.IpProtoTcp, SocketOptionReader.TcpKeepCnt));
        await host.Host.StopAsync(token);
    });

    [SkippableFact]
    public virtual Task The_meter_counts_connections_bytes_durations_and_rejections() => RunAsync(async (client, token) =>
    {
        await using TestHost host = BuildHost(builder => builder.AddAnyNetServer<EchoHandler>(Loopback, options => options.MaxConnections = 1));
        using var metrics = new MetricCapture(host.Services.GetRequiredService<IMeterFactory>());
        await host.Host.StartAsync(token);
        AnyNetServer server = host.Server;

        await using ISocketStream served = await client.ConnectAsync(server.LocalEndPoint!, token);
        await served.SendAsync("hello"u8.ToArray(), token);
        Assert.Equal("hello"u8.ToArray(), await served.ReceiveExactlyAsync(5, token));

        // The first connection is being served, so this one is over the limit of one.
        await using (ISocketStream rejected = await client.ConnectAsync(server.LocalEndPoint!, token))
        {
            await AssertClosedByPeerAsync(rejected, token);
        }

        await served.SendAsync("world!"u8.ToArray(), token);
        await served.SendEofAsync(token);
        Assert.Equal("world!"u8.ToArray(), await served.ReceiveToEndAsync(cancellationToken: token));
        await host.Host.StopAsync(token);

        Assert.Equal(11, metrics.Sum(AnyNetInstrumentation.BytesReceived));
        Assert.Equal(11, metrics.Sum(AnyNetInstrumentation.BytesSent));
        Assert.Equal(1, metrics.Sum(AnyNetInstrumentation.RejectedConnections));
        Assert.Equal(0, metrics.Sum(AnyNetInstrumentation.AcceptErrors));
        IReadOnlyList<MeasurementRecord> active = metrics.Of(AnyNetInstrumentation.ActiveConnections);
        Assert.Equal([1.0, -1.0], active.Select(m => m.Value));
        MeasurementRecord duration = Assert.Single(metrics.Of(AnyNetInstrumentation.ConnectionDuration));
        Assert.True(duration.Value > 0, "a served connection lasted no time at all");
        Assert.False(duration.Tags.ContainsKey(AnyNetInstrumentation.ErrorTypeTag));

        IReadOnlyList<MeasurementRecord> all =
        [
            .. active, duration, .. metrics.Of(AnyNetInstrumentation.BytesReceived), .. metrics.Of(AnyNetInstrumentation.BytesSent),
            .. metrics.Of(AnyNetInstrumentation.RejectedConnections),
        ];
        Assert.All(all, m =>
        {
            Assert.Equal(host.Backend.Name, m.Tags[AnyNetInstrumentation.BackendTag]);
            Assert.Equal(server.LocalEndPoint!.IPEndPoint!.Port, m.Tags[AnyNetInstrumentation.ServerPortTag]);
            Assert.Equal("127.0.0.1", m.Tags[AnyNetInstrumentation.ServerAddressTag]);
        });
    });

    [SkippableFact]
    public virtual Task A_failed_handler_is_tagged_in_the_connection_duration() => RunAsync(async (client, token) =>
    {
        await using TestHost host = BuildHost(builder => builder.AddAnyNetServer(Loopback, (_, _) => throw new InvalidDataException("bad request")));
        using var metrics = new MetricCapture(host.Services.GetRequiredService<IMeterFactory>());
        await host.Host.StartAsync(token);
        await using (ISocketStream connection = await client.ConnectAsync(host.Server.LocalEndPoint!, token))
        {
            await AssertClosedByPeerAsync(connection, token);
        }

        await host.Host.StopAsync(token);
        MeasurementRecord duration = Assert.Single(metrics.Of(AnyNetInstrumentation.ConnectionDuration));
        Assert.Equal(typeof(InvalidDataException).FullName, duration.Tags[AnyNetInstrumentation.ErrorTypeTag]);
    });

    [SkippableFact]
    public virtual Task A_bind_failure_fails_start_up_with_the_endpoint_in_the_message() => RunAsync(async (client, token) =>
    {
        await using ISocketListener taken = client.ListenTcp(StreamTestHelpers.Loopback4);
        string endpoint = $"tcp:127.0.0.1:{((IPEndPoint)taken.LocalEndPoint).Port}";
        await using TestHost host = BuildHost(builder => builder.AddAnyNetServer<EchoHandler>(endpoint));

        var error = await Assert.ThrowsAsync<IOException>(() => host.Host.StartAsync(token));
        Assert.Contains(endpoint, error.Message, StringComparison.Ordinal);
        Assert.Contains(host.Backend.Name, error.Message, StringComparison.Ordinal);
        Assert.NotNull(error.InnerException);
        Assert.Null(host.Server.LocalEndPoint);

        // A server that never listened has nothing to drain at shutdown.
        await host.Host.StopAsync(token);
        Assert.Empty(host.Log.WithEvent(AnyNetLogEvents.ServerStopping));
    });

    [SkippableFact]
    public virtual Task A_unix_bind_failure_fails_start_up_with_the_path_in_the_message() => RunAsync(async (client, token) =>
    {
        RequireCapability(BackendCapabilities.UnixSockets, "a unix: endpoint needs Unix domain sockets");
        string endpoint = "unix:" + Path.Combine(Path.GetTempPath(), $"anynet-missing-{Guid.NewGuid():N}"[..24], "app.sock");
        await using TestHost host = BuildHost(builder => builder.AddAnyNetServer<EchoHandler>(endpoint));

        var error = await Assert.ThrowsAsync<IOException>(() => host.Host.StartAsync(token));
        Assert.Contains(endpoint, error.Message, StringComparison.Ordinal);
    });

    [SkippableFact]
    public virtual Task The_backend_is_one_singleton_that_the_host_disposes() => RunAsync(async (client, token) =>
    {
        TestHost host = BuildHost(builder => builder.AddAnyNetServer<EchoHandler>(Loopback));
        IAsyncBackend backend;
        await using (host)
        {
            await host.Host.StartAsync(token);
            backend = host.Backend;
            Assert.Same(backend, host.Services.GetRequiredService<IAsyncBackend>());
            Assert.Equal(42, await backend.RunAsync(_ => Task.FromResult(42), token));
        }

        await Assert.ThrowsAnyAsync<ObjectDisposedException>(() => backend.RunAsync(_ => Task.FromResult(0), token));
    });

    [SkippableFact]
    public virtual Task Endpoint_strings_listen_and_connect() => RunAsync(async (backend, token) =>
    {
        await using ISocketListener listener = backend.Listen(Loopback);
        var bound = AnyNetEndPoint.FromEndPoint(listener.LocalEndPoint);
        Assert.Equal(IPAddress.Loopback, bound.IPEndPoint!.Address);
        ValueTask<ISocketStream> accepting = listener.AcceptAsync(token);
        await using ISocketStream connected = await backend.ConnectAsync(bound.ToString(), token);
        await using ISocketStream accepted = await accepting;
        await connected.SendAsync("x"u8.ToArray(), token);
        Assert.Equal("x"u8.ToArray(), await accepted.ReceiveExactlyAsync(1, token));
    });

    private TestHost BuildHost(Action<HostApplicationBuilder> configure)
    {
        var log = new TestLogSink();
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection([new(AnyNetOptions.SectionName + ":Backend", BackendUnderTest)]);
        builder.Logging.AddProvider(log).SetMinimumLevel(LogLevel.Debug);
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(15));
        builder.AddAnyNet().AddBackend(BackendUnderTest, _ => Fixture.CreateBackend());
        configure(builder);
        return new TestHost(builder.Build(), log);
    }

    private static async Task<byte[]> EchoAsync(IAsyncBackend client, AnyNetEndPoint endPoint, byte[] payload, CancellationToken token)
    {
        await using ISocketStream connection = await client.ConnectAsync(endPoint, token);
        Task<byte[]> receiving = connection.ReceiveToEndAsync(cancellationToken: token);
        await connection.SendAsync(payload, token);
        await connection.SendEofAsync(token);
        return await receiving;
    }

    private static async Task<byte[]> ReceiveAllAsync(IAsyncBackend client, AnyNetEndPoint endPoint, CancellationToken token)
    {
        await using ISocketStream connection = await client.ConnectAsync(endPoint, token);
        return await connection.ReceiveToEndAsync(cancellationToken: token);
    }

    // A connection the server closed reads as the end of the stream, or as a reset when unread data was discarded.
    private static async Task AssertClosedByPeerAsync(ISocketStream connection, CancellationToken token)
    {
        try
        {
            Assert.Equal(0, await connection.ReceiveAsync(new byte[16], token));
        }
        catch (BrokenResourceException)
        {
        }
    }

    private sealed class ScopeJournal
    {
        public ConcurrentQueue<Guid> Created { get; } = new();

        public ConcurrentQueue<Guid> Disposed { get; } = new();
    }

    private sealed class ConnectionScope : IDisposable
    {
        private readonly ScopeJournal _journal;

        public ConnectionScope(ScopeJournal journal)
        {
            _journal = journal;
            journal.Created.Enqueue(Id);
        }

        public Guid Id { get; } = Guid.NewGuid();

        public void Dispose() => _journal.Disposed.Enqueue(Id);
    }

    private sealed class EchoHandler(IServiceProvider services) : IConnectionHandler
    {
        public async Task HandleAsync(ISocketStream connection, CancellationToken cancellationToken)
        {
            // Resolving the scoped probe (when registered) records this connection's scope.
            _ = services.GetService<ConnectionScope>();
            byte[] buffer = new byte[16384];
            int received;
            while ((received = await connection.ReceiveAsync(buffer, cancellationToken)) > 0)
            {
                await connection.SendAsync(buffer.AsMemory(0, received), cancellationToken);
            }

            await connection.SendEofAsync(cancellationToken);
        }
    }
}
