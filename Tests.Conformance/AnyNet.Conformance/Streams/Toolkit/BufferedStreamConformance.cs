using System.Text;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// <see cref="BufferedByteStream"/> over a real TCP connection of the backend: exact reads, delimiters (also split across
/// receives), limits, the end of the stream mid-message, cancellation that loses nothing, feed/unread and peek.
/// The raw sending end is <c>peer</c>; <c>observed</c> counts what the buffered stream took off the wire, so a test can
/// split data across receives deterministically.
/// </summary>
public abstract class BufferedStreamConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    private static readonly ReadOnlyMemory<byte> s_crlf = "\r\n"u8.ToArray();

    /// <summary>Runs <paramref name="body"/> with (raw peer, observed inner stream, buffered stream over it).</summary>
    protected Task WithBufferedAsync(Func<IByteStream, ObservedByteStream, BufferedByteStream, CancellationToken, Task> body, int bufferSize = 64) =>
        RunAsync(async (backend, token) =>
        {
            await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
            (ISocketStream peer, ISocketStream server) = await StreamTestHelpers.ConnectPairAsync(backend, listener, token);
            var observed = new ObservedByteStream(server);
            await using (peer)
            await using (var buffered = new BufferedByteStream(observed, bufferSize))
            {
                await body(peer, observed, buffered, token);
            }
        });

    [SkippableFact]
    public virtual Task ReceiveExactly_fills_the_whole_buffer_from_many_small_sends() => WithBufferedAsync(async (peer, _, buffered, token) =>
    {
        byte[] data = StreamTestHelpers.RandomBytes(10_000, seed: 11);
        byte[] received = new byte[data.Length];
        await TaskGroup.RunAsync(group =>
        {
            group.Start(async t =>
            {
                for (int offset = 0; offset < data.Length; offset += 7)
                {
                    await peer.SendAsync(data.AsMemory(offset, Math.Min(7, data.Length - offset)), t);
                }
            });
            group.Start(async t => await buffered.ReceiveExactlyAsync(received, t));
            return Task.CompletedTask;
        }, token);
        Assert.Equal(data, received);
    });

    [SkippableFact]
    public virtual Task ReceiveExactly_at_the_end_of_the_stream_throws_IncompleteRead_and_keeps_the_bytes() => WithBufferedAsync(async (peer, _, buffered, token) =>
    {
        await peer.SendAsync("abc"u8.ToArray(), token);
        await peer.SendEofAsync(token);
        byte[] five = new byte[5];
        IncompleteReadException error = await Assert.ThrowsAsync<IncompleteReadException>(async () => await buffered.ReceiveExactlyAsync(five, token));
        Assert.IsAssignableFrom<EndOfStreamException>(error);
        Assert.Contains("3 of 5", error.Message, StringComparison.Ordinal);
        Assert.Equal("abc"u8.ToArray(), buffered.Buffered.ToArray());
        await Assert.ThrowsAsync<IncompleteReadException>(async () => await buffered.ReceiveExactlyAsync(4, token));
        Assert.Equal("abc"u8.ToArray(), (await buffered.ReceiveExactlyAsync(3, token)).ToArray());
        Assert.Equal(0, await buffered.ReceiveAsync(new byte[1], token));
    });

    [SkippableFact]
    public virtual Task Large_exact_reads_bypass_the_buffer_and_arrive_intact() => WithBufferedAsync(async (peer, _, buffered, token) =>
    {
        byte[] data = StreamTestHelpers.RandomBytes(300_000, seed: 12);
        byte[] received = new byte[data.Length - 1];
        await TaskGroup.RunAsync(group =>
        {
            group.Start(async t => await peer.SendAsync(data, t));
            group.Start(async t =>
            {
                byte[] first = new byte[1];
                await buffered.ReceiveExactlyAsync(first, t);
                Assert.Equal(data[0], first[0]);
                await buffered.ReceiveExactlyAsync(received, t);
            });
            return Task.CompletedTask;
        }, token);
        Assert.True(data.AsSpan(1).SequenceEqual(received));
    });

    [SkippableFact]
    public virtual Task ReceiveUntil_returns_the_bytes_before_the_delimiter_and_keeps_the_rest_buffered() => WithBufferedAsync(async (peer, _, buffered, token) =>
    {
        await peer.SendAsync("one\r\ntwo\r\n\r\nthree"u8.ToArray(), token);
        Assert.Equal("one", Text(await buffered.ReceiveUntilAsync(s_crlf, 100, token)));
        Assert.Equal("two", Text(await buffered.ReceiveUntilAsync(s_crlf, 100, token)));
        Assert.Equal("", Text(await buffered.ReceiveUntilAsync(s_crlf, 100, token)));
        Assert.Equal("three", Text(buffered.Buffered));
        await peer.SendAsync("!\r\n"u8.ToArray(), token);
        Assert.Equal("three!", Encoding.ASCII.GetString(await buffered.ReceiveUntilToArrayAsync(s_crlf, 100, token)));
    });

    [SkippableFact]
    public virtual Task A_delimiter_split_across_receives_is_found() => WithBufferedAsync(async (peer, observed, buffered, token) =>
    {
        ReadOnlyMemory<byte> delimiter = "<END>"u8.ToArray();
        {
            Task<string> line = LineAsync(buffered, delimiter, 1000, token);

            // "<END>" arrives as "<E", "N", "D>" in three receives.
            await peer.SendAsync("hello <E"u8.ToArray(), token);
            await observed.WaitForReceivedAsync(8, token);
            await peer.SendAsync("N"u8.ToArray(), token);
            await observed.WaitForReceivedAsync(9, token);
            Assert.False(line.IsCompleted);
            await peer.SendAsync("D>rest"u8.ToArray(), token);
            Assert.Equal("hello ", await line);
        }

        Assert.Equal("rest", Text(buffered.Buffered));
    });

    [SkippableFact]
    public virtual Task A_false_start_of_the_delimiter_is_not_taken_for_it() => WithBufferedAsync(async (peer, observed, buffered, token) =>
    {
        {
            Task<string> line = LineAsync(buffered, s_crlf, 1000, token);
            await peer.SendAsync("a\r"u8.ToArray(), token);
            await observed.WaitForReceivedAsync(2, token);
            await peer.SendAsync("\rb\r"u8.ToArray(), token);
            await observed.WaitForReceivedAsync(5, token);
            await peer.SendAsync("\n"u8.ToArray(), token);
            Assert.Equal("a\r\rb", await line);
        }

    });

    [SkippableFact]
    public virtual Task ReceiveUntil_allows_exactly_maxBytes_before_the_delimiter() => WithBufferedAsync(async (peer, _, buffered, token) =>
    {
        await peer.SendAsync("12345\r\n"u8.ToArray(), token);
        Assert.Equal("12345", Text(await buffered.ReceiveUntilAsync(s_crlf, 5, token)));
    });

    [SkippableFact]
    public virtual Task More_than_maxBytes_without_the_delimiter_throws_DelimiterNotFound_and_keeps_the_bytes() => WithBufferedAsync(async (peer, _, buffered, token) =>
    {
        await peer.SendAsync("123456\r\n"u8.ToArray(), token);
        DelimiterNotFoundException error = await Assert.ThrowsAsync<DelimiterNotFoundException>(async () => await buffered.ReceiveUntilAsync(s_crlf, 5, token));
        Assert.Equal(5, error.MaxBytes);
        Assert.Contains("5 bytes", error.Message, StringComparison.Ordinal);
        Assert.Equal("123456", Text(await buffered.ReceiveUntilAsync(s_crlf, 6, token)));
    });

    [SkippableFact]
    public virtual Task A_peer_that_never_sends_the_delimiter_cannot_grow_the_buffer_past_the_limit() => WithBufferedAsync(async (peer, _, buffered, token) =>
    {
        const int MaxBytes = 4096;
        byte[] chunk = new byte[1000];
        chunk.AsSpan().Fill((byte)'x');
        await TaskGroup.RunAsync(group =>
        {
            // The peer would send 1 MB of garbage; the reader must give up after 4 KiB and hold no more than that.
            group.Start(async t =>
            {
                try
                {
                    for (int i = 0; i < 1000; i++)
                    {
                        await peer.SendAsync(chunk, t);
                    }
                }
                catch (OperationCanceledException)
                {
                }
            });
            group.Start(async t =>
            {
                await Assert.ThrowsAsync<DelimiterNotFoundException>(async () => await buffered.ReceiveUntilAsync(s_crlf, MaxBytes, t));
                Assert.InRange(buffered.BufferCapacity, 1, 2 * (MaxBytes + 2) + 1024);
                group.Cancel();
            });
            return Task.CompletedTask;
        }, token);
    });

    [SkippableFact]
    public virtual Task ReceiveUntil_at_the_end_of_the_stream_throws_IncompleteRead_and_keeps_the_bytes() => WithBufferedAsync(async (peer, _, buffered, token) =>
    {
        await peer.SendAsync("no end"u8.ToArray(), token);
        await peer.SendEofAsync(token);
        await Assert.ThrowsAsync<IncompleteReadException>(async () => await buffered.ReceiveUntilAsync(s_crlf, 100, token));
        Assert.Equal("no end", Text(buffered.Buffered));
    });

    [SkippableFact]
    public virtual Task A_cancelled_ReceiveUntil_loses_nothing() => WithBufferedAsync(async (peer, observed, buffered, token) =>
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
        {
            Task<string> line = LineAsync(buffered, s_crlf, 100, cancel.Token);
            await peer.SendAsync("first half "u8.ToArray(), token);
            await observed.WaitForReceivedAsync(11, token);
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => line);
        }

        Assert.Equal("first half ", Text(buffered.Buffered));
        await peer.SendAsync("second half\r\n"u8.ToArray(), token);
        Assert.Equal("first half second half", Text(await buffered.ReceiveUntilAsync(s_crlf, 100, token)));
    });

    [SkippableFact]
    public virtual Task A_cancelled_ReceiveExactly_loses_nothing() => WithBufferedAsync(async (peer, observed, buffered, token) =>
    {
        byte[] data = StreamTestHelpers.RandomBytes(1000, seed: 13);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
        byte[] target = new byte[1000];
        {
            Task receive = buffered.ReceiveExactlyAsync(target, cancel.Token).AsTask();
            await peer.SendAsync(data.AsMemory(0, 600), token);
            await observed.WaitForReceivedAsync(600, token);
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => receive);
        }

        Assert.Equal(600, buffered.BufferedCount);
        await peer.SendAsync(data.AsMemory(600), token);
        byte[] again = new byte[1000];
        await buffered.ReceiveExactlyAsync(again, token);
        Assert.Equal(data, again);
    });

    [SkippableFact]
    public virtual Task An_already_cancelled_token_throws_and_consumes_nothing_even_when_bytes_are_buffered() => WithBufferedAsync(async (peer, _, buffered, token) =>
    {
        await peer.SendAsync("x\r\ny"u8.ToArray(), token);
        Assert.Equal("x", Text(await buffered.ReceiveUntilAsync(s_crlf, 10, token)));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await buffered.ReceiveAsync(new byte[4], cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await buffered.ReceiveExactlyAsync(1, cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await buffered.ReceiveUntilAsync(s_crlf, 10, cancelled.Token));
        Assert.Equal("y", Text(buffered.Buffered));
    });

    [SkippableFact]
    public virtual Task Feed_appends_and_Unread_prepends_to_what_is_buffered() => WithBufferedAsync(async (peer, _, buffered, token) =>
    {
        await peer.SendAsync("B\r\n"u8.ToArray(), token);
        Assert.Equal("B", Text(await buffered.ReceiveExactlyAsync(1, token)));
        buffered.Unread("B"u8);
        buffered.Unread("A"u8);
        buffered.Feed("C\r\n"u8);
        Assert.Equal("AB\r\nC\r\n", Text(buffered.Buffered));
        Assert.Equal("AB", Text(await buffered.ReceiveUntilAsync(s_crlf, 10, token)));
        Assert.Equal("C", Text(await buffered.ReceiveUntilAsync(s_crlf, 10, token)));

        // Unread more than the buffer's head room (and its initial size): the buffer grows.
        byte[] big = StreamTestHelpers.RandomBytes(1000, seed: 14);
        buffered.Unread(big);
        byte[] back = new byte[1000];
        await buffered.ReceiveExactlyAsync(back, token);
        Assert.Equal(big, back);
        Assert.Equal(0, buffered.BufferedCount);
    });

    [SkippableFact]
    public virtual Task Peek_consumes_nothing_and_Consume_advances() => WithBufferedAsync(async (peer, _, buffered, token) =>
    {
        await peer.SendAsync("abcdef"u8.ToArray(), token);
        ReadOnlyMemory<byte> seen = await buffered.PeekAsync(6, token);
        Assert.Equal("abcdef", Text(seen));
        buffered.Consume(2);
        Assert.Throws<ArgumentOutOfRangeException>(() => buffered.Consume(5));
        Assert.Equal("cdef", Text(await buffered.PeekAsync(1, token)));
        byte[] rest = new byte[4];
        Assert.Equal(4, await buffered.ReceiveAsync(rest, token));
        Assert.Equal("cdef"u8.ToArray(), rest);
    });

    [SkippableFact]
    public virtual Task A_waiting_Peek_gathers_receives_until_enough_is_buffered_and_resumes_on_the_callers_context() => WithBufferedAsync(async (peer, observed, buffered, token) =>
    {
        SynchronizationContext? context = SynchronizationContext.Current;
        for (int round = 0; round < 3; round++)
        {
            ValueTask<ReadOnlyMemory<byte>> peek = buffered.PeekAsync(10, token);
            await peer.SendAsync("0123"u8.ToArray(), token);
            await observed.WaitForReceivedAsync(14 * round + 4, token);
            Assert.False(peek.IsCompleted);
            await peer.SendAsync("456789abcd"u8.ToArray(), token);
            Assert.Equal("0123456789abcd", Text(await peek));
            Assert.Same(context, SynchronizationContext.Current);
            buffered.Consume(14);
        }

        // A peek the buffer already satisfies completes at once.
        await peer.SendAsync("xyz"u8.ToArray(), token);
        Assert.Equal("xyz", Text(await buffered.PeekAsync(3, token)));
        ValueTask<ReadOnlyMemory<byte>> ready = buffered.PeekAsync(2, token);
        Assert.True(ready.IsCompleted);
        Assert.Equal("xyz", Text(await ready));
    });

    [SkippableFact]
    public virtual Task A_cancelled_waiting_Peek_loses_nothing_and_the_stream_stays_usable() => WithBufferedAsync(async (peer, observed, buffered, token) =>
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
        ValueTask<ReadOnlyMemory<byte>> peek = buffered.PeekAsync(10, cancel.Token);
        await peer.SendAsync("0123"u8.ToArray(), token);
        await observed.WaitForReceivedAsync(4, token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await peek);
        Assert.Equal("0123", Text(buffered.Buffered));
        await peer.SendAsync("456789"u8.ToArray(), token);
        Assert.Equal("0123456789", Text(await buffered.PeekAsync(10, token)));
    });

    [SkippableFact]
    public virtual Task A_waiting_Peek_rejects_a_second_call_and_at_the_end_of_the_stream_throws_IncompleteRead_and_keeps_the_bytes() => WithBufferedAsync(async (peer, observed, buffered, token) =>
    {
        ValueTask<ReadOnlyMemory<byte>> peek = buffered.PeekAsync(10, token);
        await Assert.ThrowsAsync<BusyResourceException>(async () => await buffered.PeekAsync(1, token));
        await peer.SendAsync("abc"u8.ToArray(), token);
        await observed.WaitForReceivedAsync(3, token);
        await peer.SendEofAsync(token);
        IncompleteReadException error = await Assert.ThrowsAsync<IncompleteReadException>(async () => await peek);
        Assert.Contains("3 of 10", error.Message, StringComparison.Ordinal);
        Assert.Equal("abc", Text(await buffered.PeekAsync(3, token)));
    });

    [SkippableFact]
    public virtual Task Disposing_wakes_a_waiting_Peek_with_ClosedResource() => WithBufferedAsync(async (peer, _, buffered, token) =>
    {
        ValueTask<ReadOnlyMemory<byte>> waiting = buffered.PeekAsync(4, token);
        await TaskGroup.RunAsync(group =>
        {
            group.Start(async _ => await buffered.DisposeAsync());
            return Task.CompletedTask;
        }, token);
        await Assert.ThrowsAsync<ClosedResourceException>(async () => await waiting);
        await Assert.ThrowsAsync<ClosedResourceException>(async () => await buffered.PeekAsync(1, token));
        Assert.Equal(0, buffered.BufferCapacity);
    });

    [SkippableFact]
    public virtual Task A_zero_length_receive_returns_at_once_when_bytes_are_buffered_and_consumes_nothing() => WithBufferedAsync(async (peer, _, buffered, token) =>
    {
        await peer.SendAsync("ab"u8.ToArray(), token);
        Assert.Equal("a", Text(await buffered.ReceiveExactlyAsync(1, token)));
        ValueTask<int> zero = buffered.ReceiveAsync(Memory<byte>.Empty, token);
        Assert.True(zero.IsCompleted);
        Assert.Equal(0, await zero);
        Assert.Equal("b", Text(buffered.Buffered));
    });

    [SkippableFact]
    public virtual Task A_second_concurrent_call_throws_BusyResourceException() => WithBufferedAsync(async (peer, _, buffered, token) =>
    {
        ValueTask<ReadOnlyMemory<byte>> first = buffered.ReceiveUntilAsync(s_crlf, 10, token);
        await Assert.ThrowsAsync<BusyResourceException>(async () => await buffered.ReceiveExactlyAsync(1, token));
        Assert.Throws<BusyResourceException>(() => buffered.Feed("x"u8));
        await peer.SendAsync("ok\r\n"u8.ToArray(), token);
        Assert.Equal("ok", Text(await first));
    });

    [SkippableFact]
    public virtual Task Disposing_wakes_a_waiting_call_with_ClosedResource_and_later_calls_throw_it() => WithBufferedAsync(async (peer, _, buffered, token) =>
    {
        ValueTask<ReadOnlyMemory<byte>> waiting = buffered.ReceiveUntilAsync(s_crlf, 10, token);
        await TaskGroup.RunAsync(group =>
        {
            group.Start(async _ => await buffered.DisposeAsync());
            return Task.CompletedTask;
        }, token);
        await Assert.ThrowsAsync<ClosedResourceException>(async () => await waiting);
        await Assert.ThrowsAsync<ClosedResourceException>(async () => await buffered.ReceiveAsync(new byte[1], token));
        await Assert.ThrowsAsync<ClosedResourceException>(async () => await buffered.SendAsync(new byte[1], token));
        Assert.Throws<ClosedResourceException>(() => buffered.Unread("x"u8));
        Assert.Equal(0, buffered.BufferCapacity);
        await buffered.DisposeAsync();
    });

    [SkippableFact]
    public virtual Task A_line_larger_than_the_initial_buffer_arrives_whole_and_the_buffer_shrinks_back_afterwards() => WithBufferedAsync(async (peer, _, buffered, token) =>
    {
        byte[] line = new byte[200_000];
        line.AsSpan().Fill((byte)'z');
        await TaskGroup.RunAsync(group =>
        {
            group.Start(async t =>
            {
                await peer.SendAsync(line, t);
                await peer.SendAsync("\r\nsmall\r\n"u8.ToArray(), t);
            });
            group.Start(async t =>
            {
                ReadOnlyMemory<byte> got = await buffered.ReceiveUntilAsync(s_crlf, 1 << 20, t);
                Assert.True(got.Span.SequenceEqual(line));
                Assert.Equal("small", Text(await buffered.ReceiveUntilAsync(s_crlf, 100, t)));
                Assert.Equal(0, buffered.BufferedCount);
                buffered.Feed("z"u8);
                Assert.True(buffered.BufferCapacity < 200_000, $"the buffer kept {buffered.BufferCapacity} bytes");
            });
            return Task.CompletedTask;
        }, token);
    });

    [SkippableFact]
    public virtual Task LeaveOpen_keeps_the_wrapped_stream_usable_with_what_was_buffered_handed_back() => RunAsync(async (backend, token) =>
    {
        await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
        (ISocketStream peer, ISocketStream server) = await StreamTestHelpers.ConnectPairAsync(backend, listener, token);
        await using (peer)
        await using (server)
        {
            await peer.SendAsync("HELLO\nrest"u8.ToArray(), token);
            await peer.SendEofAsync(token);
            byte[] leftover;
            await using (var buffered = new BufferedByteStream(server, leaveOpen: true))
            {
                Assert.Equal("HELLO", Text(await buffered.ReceiveUntilAsync("\n"u8.ToArray(), 10, token)));
                leftover = buffered.Buffered.ToArray();
            }

            byte[] tail = await server.ReceiveToEndAsync(cancellationToken: token);
            Assert.Equal("rest", Encoding.ASCII.GetString([.. leftover, .. tail]));
            await server.SendAsync("still open"u8.ToArray(), token);
        }
    });

    private static async Task<string> LineAsync(BufferedByteStream stream, ReadOnlyMemory<byte> delimiter, int maxBytes, CancellationToken cancellationToken) =>
        Text(await stream.ReceiveUntilAsync(delimiter, maxBytes, cancellationToken));

    private static string Text(ReadOnlyMemory<byte> bytes) => Encoding.ASCII.GetString(bytes.Span);
}
