using System.Text;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// Hostile input to a real server built on the protocol toolkit: a frame prefix announcing 4 GiB, an endless line, and
/// invalid UTF-8. Each must give the handler a clear exception at once (no hang, no unbounded allocation, no crash),
/// and the server's other connections must keep being served.
/// </summary>
public abstract class BadInputServerConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    [SkippableFact]
    public virtual Task A_4_GiB_frame_prefix_closes_only_that_connection() => ServeAndAttackAsync(
        stream => new LengthPrefixedFrameStream(stream, maxFrameSize: 64 * 1024),
        async (frames, token) =>
        {
            await foreach (ReadOnlyMemory<byte> frame in frames.WithCancellation(token))
            {
                await frames.SendAsync(frame, token);
            }
        },
        attack: [0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3],
        expected: typeof(FrameTooLargeException));

    [SkippableFact]
    public virtual Task A_line_longer_than_the_maximum_closes_only_that_connection() => ServeAndAttackAsync(
        stream => new LineFrameStream(stream, maxLineLength: 1024),
        async (lines, token) =>
        {
            await foreach (ReadOnlyMemory<byte> line in lines.WithCancellation(token))
            {
                await lines.SendAsync(line, token);
            }
        },
        attack: Encoding.ASCII.GetBytes(new string('x', 100_000)),
        expected: typeof(FrameTooLargeException));

    [SkippableFact]
    public virtual Task Invalid_UTF8_closes_only_that_connection() => ServeAndAttackAsync(
        stream => new TextStream(stream),
        async (text, token) =>
        {
            await foreach (string piece in text.WithCancellation(token))
            {
                await text.SendAsync(piece, token);
            }
        },
        attack: [(byte)'h', (byte)'i', 0xED, 0xA0, 0x80],   // an encoded surrogate: invalid in UTF-8 (RFC 3629 section 3)
        expected: typeof(InvalidDataException));

    private Task ServeAndAttackAsync<TStream>(
        Func<IByteStream, TStream> wrap,
        Func<TStream, CancellationToken, Task> serve,
        byte[] attack,
        Type expected)
        where TStream : IAsyncDisposable =>
        RunAsync(async (backend, token) =>
        {
            var errors = MemoryObjectStream.CreateUnbounded<Exception>();
            await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
            await TaskGroup.RunAsync(async group =>
            {
                group.Start(t => listener.ServeAsync(async (connection, ct) =>
                {
                    await using TStream stream = wrap(connection);
                    try
                    {
                        await serve(stream, ct);
                    }
                    catch (Exception error) when (error is IOException or InvalidDataException)
                    {
                        // The handler's choice: report and drop this connection; the server goes on.
                        errors.Send.SendNowait(error);
                    }
                }, t));

                var endPoint = (System.Net.IPEndPoint)listener.LocalEndPoint;
                await using ISocketStream good = await backend.ConnectTcpAsync(endPoint, token);
                await using TStream goodClient = wrap(good);
                await EchoOnceAsync(good, goodClient, token);

                await using (ISocketStream bad = await backend.ConnectTcpAsync(endPoint, token))
                {
                    // The server closes the bad connection instead of waiting for more (or allocating for it). Closing
                    // with unread input makes the kernel answer with a reset (RFC 1122 4.2.2.13), so that counts too.
                    try
                    {
                        await bad.SendAsync(attack, token);
                        await bad.ReceiveToEndAsync(cancellationToken: token);
                    }
                    catch (BrokenResourceException)
                    {
                    }
                }

                Exception reported = await errors.Receive.ReceiveAsync(token);
                Assert.IsType(expected, reported);
                await EchoOnceAsync(good, goodClient, token);
                group.Cancel();
            }, token);
        });

    private static async Task EchoOnceAsync<TStream>(ISocketStream raw, TStream client, CancellationToken token)
    {
        switch (client)
        {
            case LengthPrefixedFrameStream frames:
                await frames.SendAsync("ping"u8.ToArray(), token);
                Assert.Equal("ping"u8.ToArray(), (await frames.ReceiveAsync(token)).ToArray());
                break;
            case LineFrameStream lines:
                await lines.SendAsync("ping"u8.ToArray(), token);
                Assert.Equal("ping"u8.ToArray(), (await lines.ReceiveAsync(token)).ToArray());
                break;
            case TextStream text:
                await text.SendAsync("pïng", token);
                var reply = new StringBuilder();
                while (reply.Length < 4)
                {
                    reply.Append(await text.ReceiveAsync(token));
                }

                Assert.Equal("pïng", reply.ToString());
                break;
            default:
                throw new InvalidOperationException($"No echo for {raw} {client}.");
        }
    }
}
