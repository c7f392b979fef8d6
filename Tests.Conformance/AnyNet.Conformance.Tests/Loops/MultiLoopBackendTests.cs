using System.Collections.Concurrent;
using System.Net;
using Xunit;

namespace AnyNet.Conformance.Tests.Loops;

/// <summary>
/// What a loop backend promises when it runs several loops (<c>Loops</c> in its options), beyond passing the whole suite
/// with two loops: connections really spread over the loops, each handler runs on its connection's loop, sockets made
/// on a loop stay there, and the backend stops claiming to be single-threaded.
/// </summary>
public abstract class MultiLoopBackendTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    /// <summary>Makes the backend with <paramref name="loops"/> loops (0 = one per core).</summary>
    protected abstract IAsyncBackend Create(int loops);

    /// <summary>How many loops the backend really runs.</summary>
    protected abstract int LoopCount(IAsyncBackend backend);

    [Fact]
    public async Task One_loop_is_the_default_and_declares_SingleThreadedLoop_two_do_not()
    {
        await using IAsyncBackend one = Create(1);
        await using IAsyncBackend two = Create(2);
        Assert.Equal(1, LoopCount(one));
        Assert.Equal(2, LoopCount(two));
        Assert.True(one.Capabilities.HasFlag(BackendCapabilities.SingleThreadedLoop));
        Assert.False(two.Capabilities.HasFlag(BackendCapabilities.SingleThreadedLoop), "two loops run handlers in parallel: not single-threaded");
        // Everything else is the same (WaitAllTasksBlocked also needs every task on one thread).
        const BackendCapabilities OneThreadOnly = BackendCapabilities.SingleThreadedLoop | BackendCapabilities.WaitAllTasksBlocked;
        Assert.Equal(one.Capabilities & ~OneThreadOnly, two.Capabilities & ~OneThreadOnly);
    }

    [Fact]
    public async Task Auto_means_one_loop_per_core_and_a_negative_count_is_refused()
    {
        await using IAsyncBackend auto = Create(0);
        Assert.Equal(Environment.ProcessorCount, LoopCount(auto));
        ArgumentOutOfRangeException error = Assert.Throws<ArgumentOutOfRangeException>(() => Create(-1));
        Assert.Equal("Loops", error.ParamName);
    }

    [Fact]
    public async Task RunAsync_always_runs_on_the_same_loop()
    {
        await using IAsyncBackend backend = Create(2);
        int first = await backend.RunAsync(_ => Task.FromResult(Environment.CurrentManagedThreadId)).WaitAsync(s_timeout);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(first, await backend.RunAsync(_ => Task.FromResult(Environment.CurrentManagedThreadId)).WaitAsync(s_timeout));
        }
    }

    [Fact]
    public Task ServeAsync_spreads_tcp_connections_over_both_loops_and_runs_each_handler_on_its_loop() =>
        ServeAndCheckSpreadAsync(backend => backend.ListenTcp(new IPEndPoint(IPAddress.Loopback, 0)),
            (backend, listener, token) => backend.ConnectTcpAsync((IPEndPoint)listener.LocalEndPoint, token));

    [Fact]
    public Task ServeAsync_spreads_unix_connections_over_both_loops_and_runs_each_handler_on_its_loop()
    {
        string path = Path.Combine(Path.GetTempPath(), $"anynet-loops-{Guid.NewGuid():N}.sock");
        return ServeAndCheckSpreadAsync(backend => backend.ListenUnix(path), (backend, _, token) => backend.ConnectUnixAsync(path, token));
    }

    [Fact]
    public async Task A_connection_made_on_a_loop_stays_on_it_and_ones_made_elsewhere_take_turns()
    {
        await using IAsyncBackend backend = Create(2);
        await using ISocketListener listener = backend.ListenTcp(new IPEndPoint(IPAddress.Loopback, 0));
        var endPoint = (IPEndPoint)listener.LocalEndPoint;

        // Off every loop (this test thread): two connects in a row go to different loops.
        await using ISocketStream first = await backend.ConnectTcpAsync(endPoint).AsTask().WaitAsync(s_timeout);
        await using ISocketStream second = await backend.ConnectTcpAsync(endPoint).AsTask().WaitAsync(s_timeout);
        Assert.NotSame(LoopOf(first), LoopOf(second));

        // On a loop: the connection belongs to the loop that made it.
        bool sameLoop = await backend.RunAsync(async token =>
        {
            await using ISocketStream made = await backend.ConnectTcpAsync(endPoint, token);
            return ReferenceEquals(LoopOf(made), SynchronizationContext.Current);
        }).WaitAsync(s_timeout);
        Assert.True(sameLoop, "a connection made on a loop was placed on another loop");
    }

    private async Task ServeAndCheckSpreadAsync(Func<IAsyncBackend, ISocketListener> listen, Func<IAsyncBackend, ISocketListener, CancellationToken, ValueTask<ISocketStream>> connect)
    {
        const int Connections = 6;
        await using IAsyncBackend backend = Create(2);
        var handlers = new ConcurrentBag<(int Thread, bool OnItsLoop)>();
        var served = new AsyncSemaphore(0, Connections);
        (int RunThread, bool ClientsOnRunLoop) result = await backend.RunAsync(async token =>
        {
            int runThread = Environment.CurrentManagedThreadId;
            bool clientsOnRunLoop = true;
            await using ISocketListener listener = listen(backend);
            await TaskGroup.RunAsync(async group =>
            {
                group.Start(t => listener.ServeAsync(async (stream, ct) =>
                {
                    handlers.Add((Environment.CurrentManagedThreadId, ReferenceEquals(SynchronizationContext.Current, LoopOf(stream))));
                    byte[] one = new byte[1];
                    Assert.Equal(1, await stream.ReceiveAsync(one, ct));
                    await stream.SendAsync(one, ct);
                    served.Release();
                }, t));

                var clients = new List<ISocketStream>();
                try
                {
                    for (int i = 0; i < Connections; i++)
                    {
                        ISocketStream client = await connect(backend, listener, token);
                        clients.Add(client);
                        clientsOnRunLoop &= ReferenceEquals(LoopOf(client), SynchronizationContext.Current);
                        await client.SendAsync(new byte[] { (byte)i }, token);
                        byte[] echo = new byte[1];
                        Assert.Equal(1, await client.ReceiveAsync(echo, token));
                        Assert.Equal((byte)i, echo[0]);
                    }

                    for (int i = 0; i < Connections; i++)
                    {
                        await served.AcquireAsync(token);
                    }
                }
                finally
                {
                    foreach (ISocketStream client in clients)
                    {
                        await client.DisposeAsync();
                    }
                }

                group.Cancel();
            }, token);
            return (runThread, clientsOnRunLoop);
        }).WaitAsync(s_timeout);

        Assert.Equal(Connections, handlers.Count);
        Assert.All(handlers, h => Assert.True(h.OnItsLoop, "a handler did not run on the loop that owns its connection"));
        int[] threads = [.. handlers.Select(h => h.Thread).Distinct()];
        Assert.Equal(2, threads.Length);
        Assert.Contains(result.RunThread, threads);
        Assert.True(result.ClientsOnRunLoop, "a client connected from RunAsync code was placed on another loop");
    }

    private static SynchronizationContext LoopOf(ISocketStream stream) =>
        stream.TryGetAttribute(TypedAttributes.LoopContext, out SynchronizationContext? context)
            ? context
            : throw new InvalidOperationException("the stream does not name its loop (TypedAttributes.LoopContext)");
}
