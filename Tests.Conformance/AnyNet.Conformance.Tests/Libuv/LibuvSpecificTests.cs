using System.Net;
using System.Runtime.InteropServices;
using AnyNet.Backends.Libuv;
using Xunit;

namespace AnyNet.Conformance.Tests.Libuv;

/// <summary>What only the libuv backend promises: it really runs on the system's libuv.so.1, on one loop thread.</summary>
public sealed partial class LibuvSpecificTests
{
    [Fact]
    public void The_version_comes_from_uv_version_string_of_the_loaded_libuv()
    {
        // Ask libuv.so.1 directly, independently of the backend's own bindings.
        string expected = Marshal.PtrToStringUTF8(NativeVersionString())!;

        Assert.Matches(@"^1\.\d+\.\d+", expected);
        Assert.Equal(expected, LibuvBackend.LibuvVersion);
        uint packed = NativeVersion();
        Assert.StartsWith($"{packed >> 16}.{(packed >> 8) & 0xff}.{packed & 0xff}", LibuvBackend.LibuvVersion, StringComparison.Ordinal);
    }

    [Fact]
    public void The_loaded_native_library_is_libuv_so_1()
    {
        using var backend = new LibuvBackend();
        Assert.Equal("libuv", backend.Name);
        string maps = File.ReadAllText("/proc/self/maps");
        Assert.Contains("libuv.so.1", maps, StringComparison.Ordinal);
    }

    [Fact(Timeout = 20_000)]
    public async Task Main_and_every_continuation_run_on_the_single_loop_thread()
    {
        await using var backend = new LibuvBackend();
        Assert.True(backend.Capabilities.HasFlag(BackendCapabilities.SingleThreadedLoop));
        var threads = new HashSet<int>();
        await backend.RunAsync(async token =>
        {
            threads.Add(Environment.CurrentManagedThreadId);
            await using ISocketListener listener = backend.ListenTcp(new IPEndPoint(IPAddress.Loopback, 0));
            ValueTask<ISocketStream> accept = listener.AcceptAsync(token);
            await using ISocketStream client = await backend.ConnectTcpAsync((IPEndPoint)listener.LocalEndPoint, token);
            threads.Add(Environment.CurrentManagedThreadId);
            await using ISocketStream server = await accept;
            threads.Add(Environment.CurrentManagedThreadId);
            await client.SendAsync(new byte[] { 7 }, token);
            Assert.Equal(1, await server.ReceiveAsync(new byte[4], token));
            threads.Add(Environment.CurrentManagedThreadId);
            await backend.SleepAsync(TimeSpan.FromMilliseconds(1), token);
            threads.Add(Environment.CurrentManagedThreadId);
        });
        Assert.Single(threads);
        Assert.NotEqual(Environment.CurrentManagedThreadId, threads.Single());
    }

    [Fact(Timeout = 20_000)]
    public async Task A_timer_created_on_a_foreign_thread_fires_on_the_loop_thread()
    {
        await using var backend = new LibuvBackend();
        int loopThread = await backend.RunAsync(_ => Task.FromResult(Environment.CurrentManagedThreadId));
        var fired = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        using ITimer timer = await Task.Run(() => backend.TimeProvider.CreateTimer(
            _ => fired.TrySetResult(Environment.CurrentManagedThreadId), null, TimeSpan.FromMilliseconds(5), Timeout.InfiniteTimeSpan));
        Assert.Equal(loopThread, await fired.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact(Timeout = 20_000)]
    public async Task Streams_used_from_a_foreign_thread_are_forwarded_to_the_loop()
    {
        await using var backend = new LibuvBackend();
        await using ISocketListener listener = backend.ListenTcp(new IPEndPoint(IPAddress.Loopback, 0));
        ValueTask<ISocketStream> accept = listener.AcceptAsync();
        await using ISocketStream client = await backend.ConnectTcpAsync((IPEndPoint)listener.LocalEndPoint);
        await using ISocketStream server = await accept;
        await client.SendAsync("abc"u8.ToArray());
        byte[] buffer = new byte[3];
        int filled = 0;
        while (filled < 3)
        {
            filled += await server.ReceiveAsync(buffer.AsMemory(filled));
        }

        Assert.Equal("abc"u8.ToArray(), buffer);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_steady_state_receive_and_send_allocate_nothing_on_the_loop_thread()
    {
        await using var backend = new LibuvBackend();
        long allocated = await backend.RunAsync(async token =>
        {
            await using ISocketListener listener = backend.ListenTcp(new IPEndPoint(IPAddress.Loopback, 0));
            ValueTask<ISocketStream> accept = listener.AcceptAsync(token);
            await using ISocketStream client = await backend.ConnectTcpAsync((IPEndPoint)listener.LocalEndPoint, token);
            await using ISocketStream server = await accept;
            byte[] ping = new byte[64];
            byte[] pong = new byte[64];

            async Task RoundTripsAsync(int count)
            {
                for (int i = 0; i < count; i++)
                {
                    await client.SendAsync(ping, token);
                    for (int got = 0; got < pong.Length;)
                    {
                        got += await server.ReceiveAsync(pong.AsMemory(got), token);
                    }

                    await server.SendAsync(pong, token);
                    for (int got = 0; got < ping.Length;)
                    {
                        got += await client.ReceiveAsync(ping.AsMemory(got), token);
                    }
                }
            }

            // The warm-up pays for one-time costs (state machine boxes, pinned chunk buffers, JIT).
            await RoundTripsAsync(200);
            long before = GC.GetAllocatedBytesForCurrentThread();
            await RoundTripsAsync(2000);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        });

        // 2000 round trips are 8000 operations; a single allocation per operation would be at least 24 bytes each.
        Assert.True(allocated < 4096, $"{allocated} bytes were allocated on the loop thread for 2000 round trips");
    }

    [Fact(Timeout = 60_000)]
    public async Task A_steady_state_UDP_exchange_allocates_nothing_on_the_loop_thread()
    {
        await using var backend = new LibuvBackend();
        long allocated = await backend.RunAsync(async token =>
        {
            await using IDatagramSocket server = backend.BindUdp(new IPEndPoint(IPAddress.Loopback, 0));
            await using IDatagramSocket client = backend.BindUdp(new IPEndPoint(IPAddress.Loopback, 0), (IPEndPoint)server.LocalEndPoint);
            byte[] ping = new byte[32];
            byte[] pong = new byte[64];

            async Task ExchangesAsync(int count)
            {
                for (int i = 0; i < count; i++)
                {
                    await client.SendToAsync(ping, cancellationToken: token);
                    DatagramReceiveResult request = await server.ReceiveFromAsync(pong, token);
                    await server.SendToAsync(pong.AsMemory(0, request.Length), request.RemoteEndPoint, token);
                    _ = await client.ReceiveFromAsync(pong, token);
                }
            }

            await ExchangesAsync(200);
            long before = GC.GetAllocatedBytesForCurrentThread();
            await ExchangesAsync(2000);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        });

        Assert.True(allocated < 4096, $"{allocated} bytes were allocated on the loop thread for 2000 UDP exchanges");
    }

    [Fact(Timeout = 20_000)]
    public async Task Unix_datagram_sockets_on_uv_poll_follow_the_busy_cancel_and_close_rules()
    {
        await using var backend = new LibuvBackend();
        string serverPath = Path.Combine(Path.GetTempPath(), $"anynet-uvd-{Guid.NewGuid():N}"[..24] + ".sock");
        string clientPath = Path.Combine(Path.GetTempPath(), $"anynet-uvd-{Guid.NewGuid():N}"[..24] + ".sock");
        await backend.RunAsync(async token =>
        {
            IDatagramSocket server = backend.BindUnixDatagram(serverPath);
            await using IDatagramSocket client = backend.BindUnixDatagram(clientPath, serverPath);
            Assert.True(File.Exists(serverPath));

            using (var cancel = CancellationTokenSource.CreateLinkedTokenSource(token))
            {
                ValueTask<DatagramReceiveResult> pending = server.ReceiveFromAsync(new byte[16], cancel.Token);
                Assert.False(pending.IsCompleted);
                await Assert.ThrowsAsync<BusyResourceException>(async () => await server.ReceiveFromAsync(new byte[16], token));
                await cancel.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);
            }

            await client.SendToAsync(new byte[] { 1, 2, 3 }, cancellationToken: token);
            await client.SendToAsync(ReadOnlyMemory<byte>.Empty, cancellationToken: token);
            byte[] buffer = new byte[16];
            DatagramReceiveResult first = await server.ReceiveFromAsync(buffer, token);
            Assert.Equal(3, first.Length);
            Assert.Equal(clientPath, first.RemoteEndPoint.ToString());
            Assert.Equal(0, (await server.ReceiveFromAsync(buffer, token)).Length);

            ValueTask<DatagramReceiveResult> blocked = server.ReceiveFromAsync(buffer, token);
            await TaskGroup.RunAsync(group =>
            {
                group.Start(async _ => await server.DisposeAsync());
                return Task.CompletedTask;
            }, token);
            await Assert.ThrowsAsync<ClosedResourceException>(async () => await blocked);
            await Assert.ThrowsAsync<ClosedResourceException>(async () => await server.SendToAsync(new byte[1], first.RemoteEndPoint, token));
            Assert.False(File.Exists(serverPath));
        });
        Assert.False(File.Exists(clientPath));
    }

    [LibraryImport("libuv.so.1", EntryPoint = "uv_version_string")]
    private static partial IntPtr NativeVersionString();

    [LibraryImport("libuv.so.1", EntryPoint = "uv_version")]
    private static partial uint NativeVersion();
}
