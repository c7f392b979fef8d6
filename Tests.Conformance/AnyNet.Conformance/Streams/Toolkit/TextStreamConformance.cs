using System.Text;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// <see cref="TextStream"/>, <see cref="TextReceiveStream"/> and <see cref="TextSendStream"/> over a real TCP connection of
/// the backend: characters split across receives, invalid input (strict by default, or replaced), the end of the
/// stream inside a character, other encodings, surrogate pairs split across sends, and cancellation.
/// </summary>
public abstract class TextStreamConformance<TFixture> : ConformanceTest<TFixture>
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
    public virtual Task Text_round_trips_in_both_directions_as_UTF8_by_default() => WithConnectionAsync(async (peer, server, token) =>
    {
        await using var left = new TextStream(peer);
        await using var right = new TextStream(server);
        string message = "héllo wörld — 你好 🎉\n";
        await left.SendAsync(message, token);
        await left.SendEofAsync(token);
        Assert.Equal(message, await ReadAllAsync(right, token));
        await right.SendAsync("back", token);
        await right.SendEofAsync(token);
        Assert.Equal("back", await ReadAllAsync(left, token));
        Assert.Equal("utf-8", left.Encoding.WebName);
    });

    [SkippableFact]
    public virtual Task A_character_split_across_receives_decodes_correctly() => WithConnectionAsync(async (peer, server, token) =>
    {
        await using var text = new TextReceiveStream(server);
        byte[] emoji = Encoding.UTF8.GetBytes("a🎉");   // 'a' then four bytes F0 9F 8E 89
        Assert.Equal(5, emoji.Length);
        await peer.SendAsync(emoji.AsMemory(0, 2), token);
        Assert.Equal("a", await text.ReceiveAsync(token));
        Task<string> rest = text.ReceiveAsync(token).AsTask();
        for (int i = 2; i < 5; i++)
        {
            await server.WaitForReceivedAsync(i, token);
            Assert.False(rest.IsCompleted, "a partial character was returned");
            await peer.SendAsync(emoji.AsMemory(i, 1), token);
        }

        Assert.Equal("🎉", await rest);
    });

    [SkippableFact]
    public virtual Task A_cancelled_receive_keeps_a_partial_character() => WithConnectionAsync(async (peer, server, token) =>
    {
        await using var text = new TextReceiveStream(server);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
        Task<string> pending = text.ReceiveAsync(cancel.Token).AsTask();
        await peer.SendAsync(new byte[] { 0xC3 }, token);
        await server.WaitForReceivedAsync(1, token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        await peer.SendAsync(new byte[] { 0xA9 }, token);
        Assert.Equal("é", await text.ReceiveAsync(token));
    });

    [SkippableFact]
    public virtual Task Invalid_UTF8_throws_InvalidData_naming_the_bytes_and_breaks_the_stream() => WithConnectionAsync(async (peer, server, token) =>
    {
        await using var text = new TextReceiveStream(server);
        await peer.SendAsync(new byte[] { (byte)'o', (byte)'k', 0xC3, 0x28 }, token);
        await peer.SendEofAsync(token);
        var received = new StringBuilder();
        InvalidDataException error = await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            while (true)
            {
                received.Append(await text.ReceiveAsync(token));
            }
        });
        Assert.Contains("C3", error.Message, StringComparison.Ordinal);
        Assert.Contains("utf-8", error.Message, StringComparison.Ordinal);
        Assert.IsType<DecoderFallbackException>(error.InnerException);
        Assert.Equal("ok", received.ToString());
        await Assert.ThrowsAsync<BrokenResourceException>(async () => await text.ReceiveAsync(token));
    });

    [SkippableFact]
    public virtual Task Invalid_bytes_become_U_FFFD_when_asked_to_replace() => WithConnectionAsync(async (peer, server, token) =>
    {
        await using var text = new TextReceiveStream(server, invalidText: InvalidTextHandling.Replace);
        await peer.SendAsync(new byte[] { (byte)'a', 0xFF, (byte)'b', 0xC3 }, token);
        await peer.SendEofAsync(token);
        Assert.Equal("a\uFFFDb\uFFFD", await ReadAllAsync(text, token));
    });

    [SkippableFact]
    public virtual Task The_stream_ending_inside_a_character_is_invalid() => WithConnectionAsync(async (peer, server, token) =>
    {
        await using var text = new TextReceiveStream(server);
        await peer.SendAsync(new byte[] { (byte)'x', 0xE4, 0xBD }, token);
        await peer.SendEofAsync(token);
        InvalidDataException error = await Assert.ThrowsAsync<InvalidDataException>(() => ReadAllAsync(text, token));
        Assert.Contains("ended inside a character", error.Message, StringComparison.Ordinal);
    });

    [SkippableFact]
    public virtual Task Another_encoding_is_used_in_both_directions() => WithConnectionAsync(async (peer, server, token) =>
    {
        await using var left = new TextStream(peer, Encoding.Unicode);
        await using var right = new TextStream(server, Encoding.Unicode);
        await left.SendAsync("ÿ€ 🎉", token);
        await left.SendEofAsync(token);
        Assert.Equal("ÿ€ 🎉", await ReadAllAsync(right, token));
    });

    [SkippableFact]
    public virtual Task A_surrogate_pair_split_across_two_sends_is_encoded_whole_and_a_lone_one_is_refused() => WithConnectionAsync(async (peer, server, token) =>
    {
        string party = "🎉";
        await using (var sender = new TextSendStream(peer, leaveOpen: true))
        {
            await sender.SendAsync(party[..1], token);
            await sender.SendAsync(party[1..], token);
            await sender.SendEofAsync(token);
        }

        Assert.Equal(Encoding.UTF8.GetBytes(party), await server.ReceiveToEndAsync(cancellationToken: token));

        await using var strict = new TextSendStream(server, leaveOpen: true);
        await Assert.ThrowsAsync<EncoderFallbackException>(async () => await strict.SendAsync("a\uDC00b", token));
    });

    [SkippableFact]
    public virtual Task Receiving_into_a_char_buffer_decodes_in_pieces_and_returns_zero_at_the_end() => WithConnectionAsync(async (peer, server, token) =>
    {
        await using var text = new TextReceiveStream(server);
        string message = string.Concat(Enumerable.Repeat("ünïcødé ", 500));
        await peer.SendAsync(Encoding.UTF8.GetBytes(message), token);
        await peer.SendEofAsync(token);
        char[] chunk = new char[7];
        var received = new StringBuilder();
        int n;
        while ((n = await text.ReceiveAsync(chunk, token)) > 0)
        {
            received.Append(chunk, 0, n);
        }

        Assert.Equal(message, received.ToString());
        await Assert.ThrowsAsync<EndOfStreamException>(async () => await text.ReceiveAsync(token));
    });

    [SkippableFact]
    public virtual Task Concurrent_receives_throw_BusyResourceException_and_close_wakes_a_receive() => WithConnectionAsync(async (peer, server, token) =>
    {
        var text = new TextReceiveStream(server, leaveOpen: true);
        ValueTask<string> first = text.ReceiveAsync(token);
        await Assert.ThrowsAsync<BusyResourceException>(async () => await text.ReceiveAsync(token));
        await server.DisposeAsync();
        await Assert.ThrowsAsync<ClosedResourceException>(async () => await first);
        await text.DisposeAsync();
        await Assert.ThrowsAsync<ClosedResourceException>(async () => await text.ReceiveAsync(token));
    });

    private static async Task<string> ReadAllAsync(IObjectReceiveStream<string> stream, CancellationToken cancellationToken)
    {
        var all = new StringBuilder();
        await foreach (string piece in stream.WithCancellation(cancellationToken))
        {
            Assert.NotEmpty(piece);
            all.Append(piece);
        }

        return all.ToString();
    }
}
