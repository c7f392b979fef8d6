using System.Net;
using AnyNet.Backends.Reactor;
using Xunit;

namespace AnyNet.Conformance.Tests.Reactor;

/// <summary>What the reactor promises beyond the shared suite: where its work runs, what it allocates, and how it ends.</summary>
public sealed class ReactorBackendTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public void Declares_the_single_threaded_loop_and_every_socket_kind()
    {
        using var backend = new ReactorBackend();
        Assert.Equal("reactor", backend.Name);
        BackendCapabilities expected = BackendCapabilities.SingleThreadedLoop | BackendCapabilities.Udp | BackendCapabilities.UnixSockets
            | BackendCapabilities.UnixDatagram | BackendCapabilities.ReusePort;
        Assert.Equal(expected, backend.Capabilities & expected);
    }

    [Fact]
    public void Options_are_validated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReactorBackend(new ReactorBackendOptions { EventBatchSize = 0 }));
    }

    [Fact]
    public async Task Steady_state_stream_receive_and_send_allocate_nothing()
    {
        await using var backend = new ReactorBackend();
        long allocated = await backend.RunAsync(async token =>
        {
            await using ISocketListener listener = backend.ListenTcp(new IPEndPoint(IPAddress.Loopback, 0));
            ValueTask<ISocketStream> accepting = listener.AcceptAsync(token);
            await using ISocketStream client = await backend.ConnectTcpAsync((IPEndPoint)listener.LocalEndPoint, token);
            await using ISocketStream server = await accepting;
            byte[] outgoing = new byte[32];
            byte[] incoming = new byte[32];

            // Each round trip parks the receive (the data is not there yet), so both the immediate path (send) and
            // the waiting path (receive woken by epoll) are measured.
            async Task RoundTrips(int count)
            {
                for (int i = 0; i < count; i++)
                {
                    ValueTask<int> receive = server.ReceiveAsync(incoming, token);
                    await client.SendAsync(outgoing, token);
                    int received = await receive;
                    while (received < outgoing.Length)
                    {
                        received += await server.ReceiveAsync(incoming.AsMemory(received), token);
                    }
                }
            }

            await RoundTrips(200);
            long before = GC.GetAllocatedBytesForCurrentThread();
            await RoundTrips(2000);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }).WaitAsync(s_timeout);

        // 4000 operations: a per-operation allocation would be at least 24 bytes each.
        Assert.True(allocated < 2048, $"{allocated} bytes allocated on the loop thread for 2000 round trips");
    }

    [Fact]
    public async Task Steady_state_datagram_receive_and_send_allocate_nothing()
    {
        await using var backend = new ReactorBackend();
        long allocated = await backend.RunAsync(async token =>
        {
            await using IDatagramSocket receiver = backend.BindUdp(new IPEndPoint(IPAddress.Loopback, 0));
            await using IDatagramSocket sender = backend.BindUdp(new IPEndPoint(IPAddress.Loopback, 0));
            byte[] datagram = new byte[16];
            byte[] buffer = new byte[64];
            EndPoint target = receiver.LocalEndPoint;

            async Task Exchange(int count)
            {
                for (int i = 0; i < count; i++)
                {
                    ValueTask<DatagramReceiveResult> receive = receiver.ReceiveFromAsync(buffer, token);
                    await sender.SendToAsync(datagram, target, token);
                    DatagramReceiveResult result = await receive;
                    if (result.Length != datagram.Length)
                    {
                        throw new InvalidOperationException($"received {result.Length} bytes, sent {datagram.Length}");
                    }
                }
            }

            await Exchange(200);
            long before = GC.GetAllocatedBytesForCurrentThread();
            await Exchange(2000);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }).WaitAsync(s_timeout);

        Assert.True(allocated < 2048, $"{allocated} bytes allocated on the loop thread for 2000 datagrams");
    }

    [Fact]
    public async Task Timers_created_changed_and_disposed_on_other_threads_fire_on_the_loop_thread_only_as_asked()
    {
        await using var backend = new ReactorBackend();
        int loopThread = await backend.RunAsync(_ => Task.FromResult(Environment.CurrentManagedThreadId)).WaitAsync(s_timeout);
        var disposedFired = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var changedFired = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var laterFired = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);

        // This test thread is not the loop: every call below is handed over to it.
        Assert.NotEqual(loopThread, Environment.CurrentManagedThreadId);
        ITimer disposed = backend.TimeProvider.CreateTimer(_ => disposedFired.TrySetResult(Environment.CurrentManagedThreadId), null, TimeSpan.FromMilliseconds(5), Timeout.InfiniteTimeSpan);
        disposed.Dispose();
        Assert.False(disposed.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
        using ITimer changed = backend.TimeProvider.CreateTimer(_ => changedFired.TrySetResult(Environment.CurrentManagedThreadId), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        Assert.True(changed.Change(TimeSpan.FromMilliseconds(10), Timeout.InfiniteTimeSpan));
        using ITimer later = backend.TimeProvider.CreateTimer(_ => laterFired.TrySetResult(Environment.CurrentManagedThreadId), null, TimeSpan.FromMilliseconds(50), Timeout.InfiniteTimeSpan);

        Assert.Equal(loopThread, await changedFired.Task.WaitAsync(s_timeout));
        Assert.Equal(loopThread, await laterFired.Task.WaitAsync(s_timeout));
        // The heap fires in due order: had the disposed timer (due first) been armed, it would have fired by now.
        Assert.False(disposedFired.Task.IsCompleted);
    }

    [Fact]
    public async Task A_periodic_timer_keeps_firing_until_disposed()
    {
        await using var backend = new ReactorBackend();
        int count = await backend.RunAsync(async token =>
        {
            int ticks = 0;
            var fifth = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            ITimer timer = backend.TimeProvider.CreateTimer(_ =>
            {
                if (++ticks == 5)
                {
                    fifth.TrySetResult();
                }
            }, null, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(1));
            await fifth.Task.WaitAsync(token);
            timer.Dispose();
            int atDispose = ticks;
            await backend.SleepAsync(TimeSpan.FromMilliseconds(20), token);
            return ticks - atDispose;
        }).WaitAsync(s_timeout);
        Assert.Equal(0, count);
    }

    [Fact]
    public async Task Sockets_used_from_another_thread_work_and_closing_from_there_wakes_a_waiting_receive()
    {
        await using var backend = new ReactorBackend();
        await using ISocketListener listener = backend.ListenTcp(new IPEndPoint(IPAddress.Loopback, 0));
        Task<ISocketStream> accepting = listener.AcceptAsync().AsTask();
        await using ISocketStream client = await backend.ConnectTcpAsync((IPEndPoint)listener.LocalEndPoint).AsTask().WaitAsync(s_timeout);
        await using ISocketStream server = await accepting.WaitAsync(s_timeout);

        await client.SendAsync(new byte[] { 1, 2, 3 }).AsTask().WaitAsync(s_timeout);
        byte[] buffer = new byte[8];
        int received = await server.ReceiveAsync(buffer).AsTask().WaitAsync(s_timeout);
        Assert.InRange(received, 1, 3);

        Task<int> waiting = client.ReceiveAsync(buffer).AsTask();
        await client.DisposeAsync().AsTask().WaitAsync(s_timeout);
        await Assert.ThrowsAsync<ClosedResourceException>(() => waiting.WaitAsync(s_timeout));
    }

    [Fact]
    public async Task Disposing_the_backend_closes_every_socket_still_open_and_wakes_its_waiters()
    {
        var backend = new ReactorBackend();
        ISocketListener listener = backend.ListenTcp(new IPEndPoint(IPAddress.Loopback, 0));
        Task<ISocketStream> accepting = listener.AcceptAsync().AsTask();
        ISocketStream client = await backend.ConnectTcpAsync((IPEndPoint)listener.LocalEndPoint).AsTask().WaitAsync(s_timeout);
        ISocketStream server = await accepting.WaitAsync(s_timeout);
        Task<int> waitingReceive = server.ReceiveAsync(new byte[8]).AsTask();
        Task<ISocketStream> waitingAccept = listener.AcceptAsync().AsTask();

        await backend.DisposeAsync().AsTask().WaitAsync(s_timeout);

        await Assert.ThrowsAsync<ClosedResourceException>(() => waitingReceive.WaitAsync(s_timeout));
        await Assert.ThrowsAsync<ClosedResourceException>(() => waitingAccept.WaitAsync(s_timeout));
        await Assert.ThrowsAsync<ClosedResourceException>(() => client.SendAsync(new byte[1]).AsTask());
        await client.DisposeAsync();
        await server.DisposeAsync();
        await listener.DisposeAsync();
    }

    [Fact]
    public async Task Synchronous_dispose_on_the_loop_thread_is_refused_instead_of_deadlocking()
    {
        await using var backend = new ReactorBackend();
        await backend.RunAsync(_ =>
        {
            Assert.Throws<InvalidOperationException>(backend.Dispose);
            return Task.CompletedTask;
        }).WaitAsync(s_timeout);
    }

    [Fact]
    public async Task After_disposal_the_clock_refuses_new_timers_instead_of_never_firing_them()
    {
        var backend = new ReactorBackend();
        TimeProvider clock = backend.TimeProvider;
        await backend.DisposeAsync().AsTask().WaitAsync(s_timeout);
        Assert.True(clock.GetTimestamp() > 0);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => Task.Delay(TimeSpan.FromMilliseconds(1), clock));
    }

    [Fact]
    public async Task Two_loops_share_one_port_with_ReusePort_and_both_serve()
    {
        await using var first = new ReactorBackend();
        await using var second = new ReactorBackend();
        var options = new ListenOptions { ReusePort = true };
        await using ISocketListener a = first.ListenTcp(new IPEndPoint(IPAddress.Loopback, 0), options);
        var shared = (IPEndPoint)a.LocalEndPoint;
        await using ISocketListener b = second.ListenTcp(shared, options);
        Assert.Equal(shared, b.LocalEndPoint);

        // The kernel hashes each connection to one listener: 64 connections all landing on one of two has odds 2^-63.
        Task<ISocketStream> acceptA = a.AcceptAsync().AsTask();
        Task<ISocketStream> acceptB = b.AcceptAsync().AsTask();
        var clients = new List<ISocketStream>();
        try
        {
            for (int i = 0; i < 64 && !(acceptA.IsCompleted && acceptB.IsCompleted); i++)
            {
                clients.Add(await first.ConnectTcpAsync(shared).AsTask().WaitAsync(s_timeout));
            }

            await using ISocketStream servedByA = await acceptA.WaitAsync(s_timeout);
            await using ISocketStream servedByB = await acceptB.WaitAsync(s_timeout);
        }
        finally
        {
            foreach (ISocketStream client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Another_backend_can_be_disposed_synchronously_from_code_running_on_the_loop()
    {
        // Not 'await using': were the loop deadlocked, disposal would wait for the stuck main forever instead of failing.
        var backend = new ReactorBackend();
        bool otherMainEnded;
        try
        {
            otherMainEnded = await RunOtherBackendAndDisposeItSynchronously(backend).WaitAsync(s_timeout);
        }
        finally
        {
            await backend.DisposeAsync().AsTask().WaitAsync(s_timeout);
        }

        Assert.True(otherMainEnded);
    }

    private static Task<bool> RunOtherBackendAndDisposeItSynchronously(ReactorBackend backend) =>
        backend.RunAsync(_ =>
        {
            var other = new ReactorBackend();
            // The other backend's main outlives the start of its disposal by a short sleep, so the disposal really has
            // to wait; Dispose blocks this loop thread meanwhile, so the wait must not resume on this loop.
            Task otherMain = other.RunAsync(async token =>
            {
                try
                {
                    await Task.Delay(Timeout.InfiniteTimeSpan, other.TimeProvider, token);
                }
                catch (OperationCanceledException)
                {
                }

                await Task.Delay(TimeSpan.FromMilliseconds(20), other.TimeProvider, CancellationToken.None);
            }, CancellationToken.None);
            other.Dispose();
            return Task.FromResult(otherMain.IsCompletedSuccessfully);
        });
}
