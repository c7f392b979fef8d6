extern alias MiniRedis;

using System.Text;
using AnyNet.Samples.Tests.Infrastructure;
using AnyNet.Testing;
using MiniRedis::AnyNet.Samples.MiniRedis;

namespace AnyNet.Samples.Tests;

/// <summary>
/// Expiry on the backend's clock: the server runs in-process on a backend whose <see cref="TimeProvider"/> is a
/// <see cref="ManualTimeProvider"/>, and a memory stream pair stands in for the socket, so time moves only when
/// the test says so.
/// </summary>
public sealed class MiniRedisExpiryTests
{
    [Theory]
    [MemberData(nameof(TestBackends.All), MemberType = typeof(TestBackends))]
    public async Task Keys_expire_on_the_manual_clock_lazily_and_by_the_sweep(string backend)
    {
        var clock = new ManualTimeProvider();
        await using IAsyncBackend engine = BackendMaker.Create(backend, clock);
        await engine.RunAsync(async token =>
        {
            var server = new RedisServer(engine, new RedisOptions(), 6379);
            var (client, serverSide) = MemoryByteStream.CreatePair();
            await TaskGroup.RunAsync(async group =>
            {
                group.Start(t => server.HandleAsync(serverSide, t));
                await using var input = new BufferedByteStream(client);

                async Task<string> Call(string command)
                {
                    await client.SendAsync(Encoding.UTF8.GetBytes(command + "\r\n"), token);
                    ReadOnlyMemory<byte> line = await input.ReceiveUntilAsync("\r\n"u8.ToArray(), 1024, token);
                    string reply = Encoding.UTF8.GetString(line.Span);
                    if (reply.StartsWith('$') && reply != "$-1")
                    {
                        reply = Encoding.UTF8.GetString((await input.ReceiveUntilAsync("\r\n"u8.ToArray(), 1024, token)).Span);
                    }

                    return reply;
                }

                Assert.Equal("+OK", await Call("SET session abc PX 1500"));
                Assert.Equal("+OK", await Call("SET forever x"));
                Assert.Equal(":2", await Call("TTL session"));
                clock.Advance(TimeSpan.FromMilliseconds(1000));
                Assert.Equal("abc", await Call("GET session"));
                Assert.Equal(":500", await Call("PTTL session"));
                clock.Advance(TimeSpan.FromMilliseconds(500));
                Assert.Equal("$-1", await Call("GET session"));
                Assert.Equal(":-2", await Call("TTL session"));

                // Untouched keys go too, through the periodic sweep that sleeps on the same clock.
                Assert.Equal("+OK", await Call("SET a 1 EX 5"));
                Assert.Equal("+OK", await Call("SET b 2"));
                Assert.Equal(":1", await Call("EXPIRE b 5"));
                Assert.Equal(":3", await Call("DBSIZE"));
                group.Start(server.RunExpiryAsync);
                await clock.WaitForArmedTimersAsync(1, token);
                clock.Advance(TimeSpan.FromSeconds(5));

                // The sweep ran once its sleep fired and then slept again: one armed timer once more.
                await clock.WaitForArmedTimersAsync(1, token);
                Assert.Equal(":1", await Call("DBSIZE"));
                Assert.Equal("x", await Call("GET forever"));
                group.Cancel();
            }, token);
        });
    }

    [Theory]
    [MemberData(nameof(TestBackends.All), MemberType = typeof(TestBackends))]
    public async Task Pipelined_commands_are_answered_with_one_send(string backend)
    {
        await using IAsyncBackend engine = BackendMaker.Create(backend);
        await engine.RunAsync(async token =>
        {
            var server = new RedisServer(engine, new RedisOptions(), 6379);
            var (client, serverSide) = MemoryByteStream.CreatePair();
            var counting = new CountingStream(serverSide);
            await TaskGroup.RunAsync(async group =>
            {
                const int Commands = 50;
                byte[] batch = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("*1\r\n$4\r\nPING\r\n", Commands)));
                await client.SendAsync(batch, token);
                group.Start(t => server.HandleAsync(counting, t));
                await using var input = new BufferedByteStream(client);
                ReadOnlyMemory<byte> replies = await input.ReceiveExactlyAsync("+PONG\r\n".Length * Commands, token);
                Assert.Equal(string.Concat(Enumerable.Repeat("+PONG\r\n", Commands)), Encoding.ASCII.GetString(replies.Span));

                // The whole batch was buffered before the server started, so it read it at once and sent once.
                Assert.Equal(1, counting.Sends);
                group.Cancel();
            }, token);
        });
    }

    private sealed class CountingStream(IByteStream inner) : IByteStream
    {
        public int Sends;

        public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReceiveAsync(buffer, cancellationToken);

        public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Sends);
            return inner.SendAsync(data, cancellationToken);
        }

        public ValueTask SendEofAsync(CancellationToken cancellationToken = default) => inner.SendEofAsync(cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
