using System.Buffers.Binary;
using System.Text;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// The rules of <see cref="LengthPrefixedFrameStream"/> and <see cref="LineFrameStream"/> over a real TCP connection of the
/// backend: prefix sizes, limits (a hostile 4 GiB prefix, an endless line), the stream ending inside a frame, frames
/// split across receives, cancellation that loses nothing, and what a broken stream says afterwards.
/// </summary>
public abstract class FramingConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    /// <summary>Runs <paramref name="body"/> with (raw peer, observed server stream).</summary>
    protected Task WithConnectionAsync(Func<IByteStream, ObservedByteStream, CancellationToken, Task> body) =>
        RunAsync(async (backend, token) =>
        {
            await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
            (ISocketStream peer, ISocketStream server) = await StreamTestHelpers.ConnectPairAsync(backend, listener, token);
            var observed = new ObservedByteStream(server);
            await using (peer)
            await using (observed)
            {
                await body(peer, observed, token);
            }
        });

    [SkippableFact]
    public virtual Task Each_prefix_size_carries_frames_up_to_its_maximum() => WithConnectionAsync(async (peer, server, token) =>
    {
        foreach ((int prefix, int max) in new[] { (1, 255), (2, 65_535), (4, 100_000) })
        {
            await using var sender = new LengthPrefixedFrameStream(peer, prefix, max, leaveOpen: true);
            await using var receiver = new LengthPrefixedFrameStream(server, prefix, max, leaveOpen: true);
            byte[] largest = StreamTestHelpers.RandomBytes(max, seed: prefix);
            await TaskGroup.RunAsync(group =>
            {
                group.Start(async t =>
                {
                    await sender.SendAsync(new byte[] { 1, 2, 3 }, t);
                    await sender.SendAsync(largest, t);
                    await sender.SendAsync(ReadOnlyMemory<byte>.Empty, t);
                });
                group.Start(async t =>
                {
                    Assert.Equal(new byte[] { 1, 2, 3 }, (await receiver.ReceiveAsync(t)).ToArray());
                    Assert.True((await receiver.ReceiveAsync(t)).Span.SequenceEqual(largest));
                    Assert.Equal(0, (await receiver.ReceiveAsync(t)).Length);
                });
                return Task.CompletedTask;
            }, token);
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await sender.SendAsync(new byte[max + 1], token));
        }
    });

    [SkippableFact]
    public virtual Task The_prefix_is_big_endian_on_the_wire() => WithConnectionAsync(async (peer, server, token) =>
    {
        await using var frames = new LengthPrefixedFrameStream(server, prefixLength: 2);
        await frames.SendAsync(new byte[300], token);
        byte[] wire = await peer.ReceiveExactlyAsync(302, token);
        Assert.Equal(new byte[] { 0x01, 0x2C }, wire[..2]);
    });

    [SkippableFact]
    public virtual Task A_prefix_announcing_4_GiB_throws_FrameTooLarge_at_once_without_reserving_it_and_breaks_the_stream() => WithConnectionAsync(async (peer, server, token) =>
    {
        await using var frames = new LengthPrefixedFrameStream(server, prefixLength: 4, maxFrameSize: 1 << 20);

        // Only the prefix is sent and the connection stays open: waiting for the frame would hang this test.
        await peer.SendAsync(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF }, token);
        FrameTooLargeException error = await Assert.ThrowsAsync<FrameTooLargeException>(async () => await frames.ReceiveAsync(token));
        Assert.Equal(uint.MaxValue, error.AnnouncedSize);
        Assert.Equal(1 << 20, error.MaxFrameSize);
        Assert.Contains("4294967295", error.Message, StringComparison.Ordinal);
        Assert.InRange(frames.InnerStream.BufferCapacity, 0, 64 * 1024);
        BrokenResourceException broken = await Assert.ThrowsAsync<BrokenResourceException>(async () => await frames.ReceiveAsync(token));
        Assert.Same(error, broken.InnerException);
    });

    [SkippableFact]
    public virtual Task A_large_allowed_frame_grows_the_buffer_only_with_bytes_that_arrived() => WithConnectionAsync(async (peer, server, token) =>
    {
        await using var frames = new LengthPrefixedFrameStream(server, maxFrameSize: 1 << 30);
        byte[] head = new byte[4 + 100];
        BinaryPrimitives.WriteInt32BigEndian(head, (1 << 30) - 1);
        await peer.SendAsync(head, token);
        await peer.SendEofAsync(token);
        IncompleteReadException error = await Assert.ThrowsAsync<IncompleteReadException>(async () => await frames.ReceiveAsync(token));
        Assert.Contains("100 of 1073741823", error.Message, StringComparison.Ordinal);
        Assert.InRange(frames.InnerStream.BufferCapacity, 0, 64 * 1024);
        await Assert.ThrowsAsync<BrokenResourceException>(async () => await frames.ReceiveAsync(token));
    });

    [SkippableFact]
    public virtual Task The_stream_ending_inside_a_prefix_is_an_IncompleteRead_and_between_frames_a_clean_end() => WithConnectionAsync(async (peer, server, token) =>
    {
        await using var frames = new LengthPrefixedFrameStream(server, prefixLength: 4);
        await peer.SendAsync(new byte[] { 0, 0, 0, 1, 42, 0, 0 }, token);
        await peer.SendEofAsync(token);
        Assert.Equal(new byte[] { 42 }, (await frames.ReceiveAsync(token)).ToArray());
        await Assert.ThrowsAsync<IncompleteReadException>(async () => await frames.ReceiveAsync(token));
    });

    [SkippableFact]
    public virtual Task Enumerating_stops_at_a_clean_end_but_throws_on_a_truncated_frame() => WithConnectionAsync(async (peer, server, token) =>
    {
        await using var frames = new LengthPrefixedFrameStream(server, prefixLength: 1);
        await peer.SendAsync(new byte[] { 1, 7, 3, 8, 9 }, token);
        await peer.SendEofAsync(token);
        var seen = new List<byte[]>();
        await Assert.ThrowsAsync<IncompleteReadException>(async () =>
        {
            await foreach (ReadOnlyMemory<byte> frame in frames.WithCancellation(token))
            {
                seen.Add(frame.ToArray());
            }
        });
        Assert.Equal([new byte[] { 7 }], seen);
    });

    [SkippableFact]
    public virtual Task A_frame_sent_one_byte_at_a_time_arrives_whole() => WithConnectionAsync(async (peer, server, token) =>
    {
        await using var frames = new LengthPrefixedFrameStream(server, prefixLength: 2);
        byte[] payload = StreamTestHelpers.RandomBytes(50, seed: 21);
        byte[] wire = [0, 50, .. payload];
        await TaskGroup.RunAsync(group =>
        {
            group.Start(async t =>
            {
                for (int i = 0; i < wire.Length; i++)
                {
                    await peer.SendAsync(wire.AsMemory(i, 1), t);
                }
            });
            group.Start(async t => Assert.Equal(payload, (await frames.ReceiveAsync(t)).ToArray()));
            return Task.CompletedTask;
        }, token);
    });

    [SkippableFact]
    public virtual Task A_receive_cancelled_in_the_middle_of_a_frame_loses_nothing() => WithConnectionAsync(async (peer, server, token) =>
    {
        await using var frames = new LengthPrefixedFrameStream(server);
        byte[] payload = StreamTestHelpers.RandomBytes(100, seed: 22);
        byte[] wire = [0, 0, 0, 100, .. payload];
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
        Task<ReadOnlyMemory<byte>> first = frames.ReceiveAsync(cancel.Token).AsTask();
        await peer.SendAsync(wire.AsMemory(0, 60), token);
        await server.WaitForReceivedAsync(60, token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        await peer.SendAsync(wire.AsMemory(60), token);
        Assert.Equal(payload, (await frames.ReceiveAsync(token)).ToArray());
    });

    [SkippableFact]
    public virtual Task A_second_concurrent_receive_or_send_throws_BusyResourceException() => WithConnectionAsync(async (peer, server, token) =>
    {
        await using var frames = new LengthPrefixedFrameStream(server);
        ValueTask<ReadOnlyMemory<byte>> first = frames.ReceiveAsync(token);
        await Assert.ThrowsAsync<BusyResourceException>(async () => await frames.ReceiveAsync(token));
        await peer.SendAsync(new byte[] { 0, 0, 0, 1, 5 }, token);
        Assert.Equal(new byte[] { 5 }, (await first).ToArray());

        // A 64 MiB frame outgrows the socket buffers, so its send is still running when the second starts.
        await using var big = new LengthPrefixedFrameStream(peer, maxFrameSize: 64 << 20, leaveOpen: true);
        ValueTask sending = big.SendAsync(new byte[64 << 20], token);
        Assert.False(sending.IsCompleted);
        await Assert.ThrowsAsync<BusyResourceException>(async () => await big.SendAsync(new byte[1], token));
        await using var reader = new LengthPrefixedFrameStream(server, maxFrameSize: 64 << 20, leaveOpen: true);
        await TaskGroup.RunAsync(group =>
        {
            group.Start(async t => Assert.Equal(64 << 20, (await reader.ReceiveAsync(t)).Length));
            return Task.CompletedTask;
        }, token);
        await sending;
    });

    [SkippableFact]
    public virtual Task Lines_end_with_LF_or_CRLF_and_are_sent_with_the_configured_terminator() => WithConnectionAsync(async (peer, server, token) =>
    {
        await using var lines = new LineFrameStream(server, maxLineLength: 100, LineTerminator.CarriageReturnLineFeed);
        await peer.SendAsync("unix\ndos\r\n\r\n\nlone\rcr\n"u8.ToArray(), token);
        Assert.Equal("unix", Text(await lines.ReceiveAsync(token)));
        Assert.Equal("dos", Text(await lines.ReceiveAsync(token)));
        Assert.Equal("", Text(await lines.ReceiveAsync(token)));
        Assert.Equal("", Text(await lines.ReceiveAsync(token)));
        Assert.Equal("lone\rcr", Text(await lines.ReceiveAsync(token)));
        await lines.SendAsync("reply"u8.ToArray(), token);
        Assert.Equal("reply\r\n"u8.ToArray(), await peer.ReceiveExactlyAsync(7, token));
        await Assert.ThrowsAsync<ArgumentException>(async () => await lines.SendAsync("two\nlines"u8.ToArray(), token));
        await Assert.ThrowsAsync<ArgumentException>(async () => await lines.SendAsync("ends\r"u8.ToArray(), token));
    });

    [SkippableFact]
    public virtual Task A_line_of_exactly_the_maximum_passes_with_either_ending_and_one_byte_more_throws() => WithConnectionAsync(async (peer, server, token) =>
    {
        await using var lines = new LineFrameStream(server, maxLineLength: 5);
        await peer.SendAsync("12345\n12345\r\n123456\n"u8.ToArray(), token);
        Assert.Equal("12345", Text(await lines.ReceiveAsync(token)));
        Assert.Equal("12345", Text(await lines.ReceiveAsync(token)));
        FrameTooLargeException error = await Assert.ThrowsAsync<FrameTooLargeException>(async () => await lines.ReceiveAsync(token));
        Assert.Null(error.AnnouncedSize);
        Assert.Equal(5, error.MaxFrameSize);
        await Assert.ThrowsAsync<BrokenResourceException>(async () => await lines.ReceiveAsync(token));
    });

    [SkippableFact]
    public virtual Task An_endless_line_throws_FrameTooLarge_holding_no_more_than_the_limit() => WithConnectionAsync(async (peer, server, token) =>
    {
        await using var lines = new LineFrameStream(server, maxLineLength: 10_000);
        byte[] chunk = new byte[4096];
        chunk.AsSpan().Fill((byte)'x');
        await TaskGroup.RunAsync(group =>
        {
            group.Start(async t =>
            {
                // Up to 40 MB without a line end; stopped as soon as the reader gave up.
                try
                {
                    for (int i = 0; i < 10_000; i++)
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
                await Assert.ThrowsAsync<FrameTooLargeException>(async () => await lines.ReceiveAsync(t));
                Assert.InRange(lines.InnerStream.BufferCapacity, 1, 64 * 1024);
                group.Cancel();
            });
            return Task.CompletedTask;
        }, token);
    });

    [SkippableFact]
    public virtual Task The_stream_ending_inside_a_line_is_an_IncompleteRead() => WithConnectionAsync(async (peer, server, token) =>
    {
        await using var lines = new LineFrameStream(server);
        await peer.SendAsync("whole\npartial"u8.ToArray(), token);
        await peer.SendEofAsync(token);
        Assert.Equal("whole", Text(await lines.ReceiveAsync(token)));
        await Assert.ThrowsAsync<IncompleteReadException>(async () => await lines.ReceiveAsync(token));
    });

    [SkippableFact]
    public virtual Task A_line_end_split_across_receives_is_found() => WithConnectionAsync(async (peer, server, token) =>
    {
        await using var lines = new LineFrameStream(server);
        Task<ReadOnlyMemory<byte>> line = lines.ReceiveAsync(token).AsTask();
        await peer.SendAsync("split\r"u8.ToArray(), token);
        await server.WaitForReceivedAsync(6, token);
        Assert.False(line.IsCompleted);
        await peer.SendAsync("\nnext\n"u8.ToArray(), token);
        Assert.Equal("split", Text(await line));
        Assert.Equal("next", Text(await lines.ReceiveAsync(token)));
    });

    [SkippableFact]
    public virtual Task Framing_reads_what_a_shared_buffered_stream_already_buffered() => WithConnectionAsync(async (peer, server, token) =>
    {
        // A protocol that starts with a text line and switches to frames (like a STARTTLS or an HTTP upgrade).
        await using var buffered = new BufferedByteStream(server);
        await peer.SendAsync("HELLO\n\u0000\u0000\u0000\u0002hi"u8.ToArray(), token);
        Assert.Equal("HELLO", Text(await buffered.ReceiveUntilAsync("\n"u8.ToArray(), 100, token)));
        await using var frames = new LengthPrefixedFrameStream(buffered, leaveOpen: true);
        Assert.Same(buffered, frames.InnerStream);
        Assert.Equal("hi", Text(await frames.ReceiveAsync(token)));
    });

    private static string Text(ReadOnlyMemory<byte> bytes) => Encoding.ASCII.GetString(bytes.Span);
}
