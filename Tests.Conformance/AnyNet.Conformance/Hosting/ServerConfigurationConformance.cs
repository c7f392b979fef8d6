using System.Net.Sockets;
using AnyNet.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// Servers defined in configuration (<c>AnyNet:Servers:&lt;name&gt;</c>): endpoints, the connection limit and the drain
/// timeout come from it; and the opt-in removal of a stale Unix socket file, only when nothing listens on it.
/// </summary>
public abstract class ServerConfigurationConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    [SkippableFact]
    public virtual Task A_configured_server_listens_on_each_endpoint_with_its_limit_and_drain_timeout() => RunAsync(async (client, token) =>
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TestHost host = TestHosts.Build(
            Fixture,
            builder =>
            {
                builder.Services.AddSingleton<HoldGate>();
                builder.AddAnyNetServerFromConfiguration<HoldHandler>("hold");
            },
            [
                new("AnyNet:Servers:hold:Endpoints:0", "tcp:127.0.0.1:0"),
                new("AnyNet:Servers:hold:Endpoints:1", "tcp:127.0.0.1:0"),
                new("AnyNet:Servers:hold:MaxConnections", "1"),
                new("AnyNet:Servers:hold:DrainTimeout", "00:03:00"),
            ]);
        host.Services.GetRequiredService<HoldGate>().Set(entered, release);
        await host.Host.StartAsync(token);
        Assert.Equal(2, host.Servers.Count);
        AnyNetServer first = host.Servers[0];

        await using ISocketStream held = await client.ConnectAsync(first.LocalEndPoint!, token);
        await entered.Task.WaitAsync(token);
        await using (ISocketStream over = await client.ConnectAsync(first.LocalEndPoint!, token))
        {
            // Over the limit of one: closed unserved.
            try
            {
                Assert.Equal(0, await over.ReceiveAsync(new byte[1], token));
            }
            catch (BrokenResourceException)
            {
            }
        }

        LogEntry rejected = await host.Log.WaitForAsync(AnyNetLogEvents.ConnectionRejected, token);
        Assert.Equal(1, rejected.State["MaxConnections"]);

        Task stopping = host.Host.StopAsync(token);
        LogEntry draining = await host.Log.WaitForAsync(AnyNetLogEvents.ServerStopping, token);
        Assert.Equal(TimeSpan.FromMinutes(3), draining.State["DrainTimeout"]);
        release.TrySetResult();
        await stopping;
    });

    [SkippableFact]
    public virtual Task A_stale_unix_socket_file_is_removed_when_nothing_listens_on_it() => RunAsync(async (client, token) =>
    {
        RequireStaleSocketSupport();
        string path = StreamTestHelpers.NewUnixPath();

        // Bound but never listening: connecting to it is refused, as to the file of a process that crashed.
        using var stale = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        stale.Bind(new UnixDomainSocketEndPoint(path));
        try
        {
            await using TestHost host = TestHosts.Build(Fixture, builder => builder.AddAnyNetServer(
                "unix:" + path,
                (connection, t) => connection.SendAsync("fresh"u8.ToArray(), t).AsTask(),
                options => options.RemoveStaleUnixSocket = true));
            await host.Host.StartAsync(token);
            await host.Log.WaitForAsync(AnyNetLogEvents.StaleUnixSocketRemoved, token);
            await using ISocketStream connection = await client.ConnectAsync(AnyNetEndPoint.Unix(path), token);
            Assert.Equal("fresh"u8.ToArray(), await connection.ReceiveToEndAsync(cancellationToken: token));
        }
        finally
        {
            File.Delete(path);
        }
    });

    [SkippableFact]
    public virtual Task A_unix_socket_a_live_server_listens_on_is_never_removed() => RunAsync(async (client, token) =>
    {
        RequireStaleSocketSupport();
        string path = StreamTestHelpers.NewUnixPath();
        await using ISocketListener live = client.ListenUnix(path);
        await using TestHost host = TestHosts.Build(Fixture, builder => builder.AddAnyNetServer(
            "unix:" + path,
            (_, _) => Task.CompletedTask,
            options => options.RemoveStaleUnixSocket = true));

        var error = await Assert.ThrowsAsync<IOException>(() => host.Host.StartAsync(token));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Empty(host.Log.WithEvent(AnyNetLogEvents.StaleUnixSocketRemoved));

        // The probe that found it alive was a connection: it waits in the backlog, already closed.
        await using (ISocketStream probe = await live.AcceptAsync(token))
        {
            Assert.Equal(0, await probe.ReceiveAsync(new byte[1], token));
        }

        // The live server still has its file and its clients.
        ValueTask<ISocketStream> accepting = live.AcceptAsync(token);
        await using ISocketStream connection = await client.ConnectAsync(AnyNetEndPoint.Unix(path), token);
        await using ISocketStream accepted = await accepting;
        await connection.SendAsync("x"u8.ToArray(), token);
        Assert.Equal("x"u8.ToArray(), await accepted.ReceiveExactlyAsync(1, token));
    });

    [SkippableFact]
    public virtual Task Without_the_opt_in_a_stale_socket_file_fails_the_bind_and_says_how_to_remove_it() => RunAsync(async (client, token) =>
    {
        RequireStaleSocketSupport();
        string path = StreamTestHelpers.NewUnixPath();
        using var stale = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        stale.Bind(new UnixDomainSocketEndPoint(path));
        try
        {
            await using TestHost host = TestHosts.Build(Fixture, builder => builder.AddAnyNetServer("unix:" + path, (_, _) => Task.CompletedTask));
            var error = await Assert.ThrowsAsync<IOException>(() => host.Host.StartAsync(token));
            Assert.Contains(path, error.Message, StringComparison.Ordinal);
            Assert.Contains(nameof(AnyNetServerOptions.RemoveStaleUnixSocket), error.Message, StringComparison.Ordinal);
            Assert.True(File.Exists(path), "the file was removed without the opt-in");
        }
        finally
        {
            File.Delete(path);
        }
    });

    private void RequireStaleSocketSupport()
    {
        RequireCapability(BackendCapabilities.UnixSockets, "a unix: endpoint needs Unix domain sockets");
        RequireCapability(BackendCapabilities.OperatingSystemSockets, "the stale socket file is a real file left by a System.Net.Sockets socket");
        Skip.IfNot(OperatingSystem.IsLinux(), "skipped: a socket file is told from other files through lstat(2)'s Linux layout.");
    }

    /// <summary>Lets the test hold a configured server's handler (the handler type is resolved by the container).</summary>
    private sealed class HoldGate
    {
        private TaskCompletionSource? _entered;
        private TaskCompletionSource? _release;

        public void Set(TaskCompletionSource entered, TaskCompletionSource release)
        {
            _entered = entered;
            _release = release;
        }

        public async Task HoldAsync(CancellationToken cancellationToken)
        {
            _entered?.TrySetResult();
            if (_release is not null)
            {
                await _release.Task.WaitAsync(cancellationToken);
            }
        }
    }

    private sealed class HoldHandler(HoldGate gate) : IConnectionHandler
    {
        public async Task HandleAsync(ISocketStream connection, CancellationToken cancellationToken)
        {
            await gate.HoldAsync(cancellationToken);
            await connection.SendEofAsync(cancellationToken);
        }
    }
}
