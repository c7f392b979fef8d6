using System.Buffers;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// Steady-state I/O allocates nothing: an echo server written as the README's first program (ServeAsync, a receive/send
/// loop) and a client ping-ponging with it allocate 0 bytes per round trip, counted process-wide (client, server, the
/// backend's loop or socket-engine threads, the thread pool) with the runtime's precise allocation counter.
/// </summary>
/// <remarks>
/// <para>
/// The counter is <see cref="GC.GetTotalAllocatedBytes(bool)"/> with <c>precise: true</c>: it sums every thread's
/// allocation context, which <see cref="GC.GetAllocatedBytesForCurrentThread"/> (one thread) cannot do for the tasks
/// backend, whose continuations hop between thread-pool threads. Because it counts the whole process, these tests are
/// in the <see cref="SerialCollection.Name"/> collection, so no other test allocates meanwhile.
/// </para>
/// <para>
/// The tolerance: whatever else the process does (a thread-pool thread starting, a timer of the runtime, the test
/// runner's own bookkeeping, a thread-pool thread's first use of the shared array pool) can only add bytes, so each
/// check takes the least of up to ten measured runs (stopping at the first clean one), and allows
/// <see cref="ToleratedBytes"/> in total for <see cref="RoundTrips"/> round trips. That is under 2 bytes per round trip,
/// while the smallest object .NET allocates is 24 bytes: one allocation per round trip (or per 12 round trips) fails.
/// </para>
/// </remarks>
[Collection(SerialCollection.Name)]
public abstract class AllocationConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    /// <summary>Round trips per measured run.</summary>
    protected const int RoundTrips = 2000;

    /// <summary>Bytes allowed per measured run, for the rest of the process (see the remarks).</summary>
    protected const long ToleratedBytes = 3072;

    private const int WarmUpRoundTrips = 500;
    private const int Attempts = 10;
    private const int MessageSize = 64;

    [SkippableFact]
    public virtual Task A_steady_state_TCP_echo_round_trip_allocates_nothing() =>
        CheckEchoAsync(EchoAsync, "receive/send loop with one buffer per connection");

    [SkippableFact]
    public virtual Task A_steady_state_TCP_echo_that_waits_with_zero_length_receives_allocates_nothing() =>
        CheckEchoAsync(EchoWithZeroLengthWaitsAsync, "zero-length receive, then a pooled buffer only while bytes are in hand");

    private Task CheckEchoAsync(Func<ISocketStream, CancellationToken, Task> handler, string shape)
    {
        RequireCapability(
            BackendCapabilities.OperatingSystemSockets,
            "the promise covers real sockets; the simulated network allocates per segment it carries (its chunk and its scheduled delivery)");
        return RunAsync(async (backend, token) =>
        {
            await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
            long least = long.MaxValue;
            await TaskGroup.RunAsync(async group =>
            {
                group.Start(serverToken => listener.ServeAsync(handler, serverToken), "echo server");
                await using ISocketStream client = await backend.ConnectTcpAsync((System.Net.IPEndPoint)listener.LocalEndPoint, token);
                byte[] message = StreamTestHelpers.RandomBytes(MessageSize, seed: 17);
                byte[] reply = new byte[MessageSize];

                // Warm-up: JIT tiers, pooled awaitables and builders, cancellation registration nodes, thread-pool threads.
                await RoundTripsAsync(client, message, reply, WarmUpRoundTrips, token);
                for (int attempt = 0; attempt < Attempts && least > ToleratedBytes; attempt++)
                {
                    long before = GC.GetTotalAllocatedBytes(precise: true);
                    await RoundTripsAsync(client, message, reply, RoundTrips, token);
                    least = Math.Min(least, GC.GetTotalAllocatedBytes(precise: true) - before);
                }

                Assert.Equal(message, reply);
                group.Cancel();
            }, token);

            Assert.True(
                least <= ToleratedBytes,
                $"{least} bytes were allocated in the process for {RoundTrips} echo round trips of {MessageSize} B on the '{backend.Name}' backend " +
                $"({(double)least / RoundTrips:F2} B per round trip; {shape}; least of {Attempts} runs, {ToleratedBytes} B tolerated)");
        }, TimeSpan.FromSeconds(60));
    }

    private static async Task RoundTripsAsync(ISocketStream client, byte[] message, byte[] reply, int count, CancellationToken cancellationToken)
    {
        for (int i = 0; i < count; i++)
        {
            await client.SendAsync(message, cancellationToken);
            int received = 0;
            while (received < reply.Length)
            {
                int n = await client.ReceiveAsync(reply.AsMemory(received), cancellationToken);
                received += n > 0 ? n : throw new EndOfStreamException("The echo server closed the connection.");
            }
        }
    }

    private static async Task EchoAsync(ISocketStream stream, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[4096];
        int n;
        while ((n = await stream.ReceiveAsync(buffer, cancellationToken)) > 0)
        {
            await stream.SendAsync(buffer.AsMemory(0, n), cancellationToken);
        }
    }

    private static async Task EchoWithZeroLengthWaitsAsync(ISocketStream stream, CancellationToken cancellationToken)
    {
        while (true)
        {
            await stream.ReceiveAsync(Memory<byte>.Empty, cancellationToken);
            byte[] buffer = ArrayPool<byte>.Shared.Rent(4096);
            try
            {
                int n = await stream.ReceiveAsync(buffer, cancellationToken);
                if (n == 0)
                {
                    return;
                }

                await stream.SendAsync(buffer.AsMemory(0, n), cancellationToken);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
