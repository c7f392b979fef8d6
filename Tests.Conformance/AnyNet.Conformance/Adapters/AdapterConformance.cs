using System.Buffers;
using System.IO.Compression;
using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using AnyNet.Adapters;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// The bridges to .NET: <c>AsStream</c>, <c>Stream.AsByteStream</c>, <c>AsDuplexPipe</c> and <c>IDuplexPipe.AsByteStream</c>
/// beyond the generic stream checks: the end, closing, the synchronous members, half-close, and bounded memory under a
/// slow pipe reader.
/// </summary>
public abstract class AdapterConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    private async Task WithTcpPairAsync(Func<ISocketStream, ISocketStream, CancellationToken, Task> body) =>
        await RunAsync(async (backend, token) =>
        {
            await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
            (ISocketStream client, ISocketStream server) = await StreamTestHelpers.ConnectPairAsync(backend, listener, token);
            await using (client)
            await using (server)
            {
                await body(client, server, token);
            }
        });

    [SkippableFact]
    public virtual Task AsStream_reads_zero_at_the_end_and_its_dispose_closes_the_byte_stream() => WithTcpPairAsync(async (client, server, token) =>
    {
        Stream stream = client.AsStream();
        await server.SendAsync("abc"u8.ToArray(), token);
        await server.SendEofAsync(token);
        byte[] buffer = new byte[8];
        Assert.Equal(3, await stream.ReadAsync(buffer, token));
        Assert.Equal(0, await stream.ReadAsync(buffer, token));
        await stream.DisposeAsync();
        Assert.False(stream.CanRead);
        await Assert.ThrowsAsync<ClosedResourceException>(async () => await client.ReceiveAsync(new byte[1], token));
        Assert.Equal(0, await server.ReceiveAsync(new byte[1], token));
    });

    [SkippableFact]
    public virtual Task AsStream_synchronous_Read_throws_on_a_loop_thread_and_works_elsewhere() => WithTcpPairAsync(async (client, server, token) =>
    {
        using Stream stream = client.AsStream(leaveOpen: true);
        await server.SendAsync("xy"u8.ToArray(), token);
        if (SynchronizationContext.Current is not null)
        {
            InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => stream.Read(new byte[2], 0, 2));
            Assert.Contains("deadlock", error.Message, StringComparison.Ordinal);
            Assert.Throws<InvalidOperationException>(() => stream.Write(new byte[1], 0, 1));
        }

        // Off the loop (a worker thread), the blocking members work on every backend.
        byte[] received = await Threads.RunOnThreadAsync(() =>
        {
            byte[] buffer = new byte[2];
            int filled = 0;
            while (filled < 2)
            {
                filled += stream.Read(buffer, filled, 2 - filled);
            }

            stream.Write("ok"u8);
            return buffer;
        }, cancellationToken: token);
        Assert.Equal("xy"u8.ToArray(), received);
        Assert.Equal("ok"u8.ToArray(), await server.ReceiveExactlyAsync(2, token));
    });

    [SkippableFact]
    public virtual Task Stream_AsByteStream_half_closes_a_write_only_stream_by_closing_it() => RunAsync(async (_, token) =>
    {
        using var compressed = new MemoryStream();
        IByteStream writer = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true).AsByteStream();
        byte[] data = StreamTestHelpers.RandomBytes(50_000, seed: 11);
        await writer.SendAsync(data, token);
        await writer.SendEofAsync(token);
        await writer.SendEofAsync(token);
        await Assert.ThrowsAsync<ClosedResourceException>(async () => await writer.SendAsync(new byte[1], token));
        await writer.DisposeAsync();

        compressed.Position = 0;
        await using IByteStream reader = new GZipStream(compressed, CompressionMode.Decompress).AsByteStream();
        Assert.Equal(data, await reader.ReceiveToEndAsync(cancellationToken: token));
        Assert.Equal(0, await reader.ReceiveAsync(new byte[1], token));
    });

    [SkippableFact]
    public virtual Task Stream_AsByteStream_without_a_known_half_close_says_so() => RunAsync(async (_, token) =>
    {
        await using IByteStream stream = new MemoryStream().AsByteStream();
        NotSupportedException error = await Assert.ThrowsAsync<NotSupportedException>(async () => await stream.SendEofAsync(token));
        Assert.Contains(nameof(MemoryStream), error.Message, StringComparison.Ordinal);
        await stream.SendAsync(new byte[] { 1 }, token);

        // A delegate says how: here, by marking the end in-band.
        using var target = new MemoryStream();
        await using IByteStream custom = target.AsByteStream(sendEof: async (s, t) => await s.WriteAsync(new byte[] { 0xFF }, t));
        await custom.SendAsync(new byte[] { 1 }, token);
        await custom.SendEofAsync(token);
        Assert.Equal(new byte[] { 1, 0xFF }, target.ToArray());
    });

    [SkippableFact]
    public virtual Task Stream_AsByteStream_turns_a_stream_failure_into_BrokenResourceException() => RunAsync(async (_, token) =>
    {
        await using IByteStream stream = new FailingStream().AsByteStream();
        BrokenResourceException broken = await Assert.ThrowsAsync<BrokenResourceException>(async () => await stream.ReceiveAsync(new byte[1], token));
        Assert.IsType<IOException>(broken.InnerException);
        Assert.Contains(nameof(FailingStream), broken.Message, StringComparison.Ordinal);
    });

    [SkippableFact]
    public virtual Task Completing_the_pipe_output_sends_the_end_and_input_still_receives() => WithTcpPairAsync(async (client, server, token) =>
    {
        ByteStreamDuplexPipe pipe = client.AsDuplexPipe(leaveOpen: true);
        await pipe.Output.WriteAsync("request"u8.ToArray(), token);
        await pipe.Output.CompleteAsync();
        Assert.Equal("request"u8.ToArray(), await server.ReceiveToEndAsync(cancellationToken: token));
        await server.SendAsync("response"u8.ToArray(), token);
        await server.SendEofAsync(token);

        using var received = new MemoryStream();
        while (true)
        {
            ReadResult result = await pipe.Input.ReadAsync(token);
            foreach (ReadOnlyMemory<byte> segment in result.Buffer)
            {
                received.Write(segment.Span);
            }

            pipe.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        Assert.Equal("response"u8.ToArray(), received.ToArray());
        await pipe.Input.CompleteAsync();
        await pipe.Completion.WaitAsync(token);
    });

    [SkippableFact]
    public virtual Task Completing_the_pipe_output_with_an_exception_aborts_the_connection() => WithTcpPairAsync(async (client, server, token) =>
    {
        ByteStreamDuplexPipe pipe = client.AsDuplexPipe();
        var reason = new InvalidOperationException("application failed");
        await pipe.Output.CompleteAsync(reason);
        await pipe.Completion.WaitAsync(token);

        // The application's input fails with the reason, the stream was closed, and the peer sees the connection end.
        InvalidOperationException seen = await Assert.ThrowsAsync<InvalidOperationException>(async () => await pipe.Input.ReadAsync(token));
        Assert.Same(reason, seen);
        await Assert.ThrowsAsync<ClosedResourceException>(async () => await client.SendAsync(new byte[1], token));
        try
        {
            Assert.Equal(0, await server.ReceiveAsync(new byte[1], token));
        }
        catch (BrokenResourceException)
        {
            // A reset is an acceptable way for the peer to learn of an abort.
        }
    });

    [SkippableFact]
    public virtual Task A_slow_pipe_reader_stops_the_peer_with_bounded_memory() => WithTcpPairAsync(async (client, server, token) =>
    {
        const int Threshold = 64 * 1024;
        var pool = new CountingMemoryPool();
        var options = new PipeOptions(pool: pool, pauseWriterThreshold: Threshold, resumeWriterThreshold: Threshold / 2, minimumSegmentSize: 4096, useSynchronizationContext: false);
        await using ByteStreamDuplexPipe pipe = server.AsDuplexPipe(inputOptions: options, leaveOpen: true);

        byte[] data = StreamTestHelpers.RandomBytes(32 << 20, seed: 21);
        await TaskGroup.RunAsync(async group =>
        {
            var sent = new AsyncEvent();
            group.Start(async t =>
            {
                await client.SendAsync(data, t);
                sent.Set();
            });

            // Let the pipe fill without consuming anything: each read waits for bytes beyond what was examined.
            long buffered = 0;
            while (buffered < Threshold)
            {
                ReadResult result = await pipe.Input.ReadAsync(token);
                buffered = result.Buffer.Length;
                pipe.Input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            }

            // 32 MiB cannot fit into the kernel's buffers and a pipe paused at 64 KiB: the sender must be stuck.
            Assert.False(sent.IsSet, "the whole 32 MiB send completed although the reader consumed nothing");
            Assert.True(pool.Outstanding <= Threshold + (64 * 1024), $"the pipe holds {pool.Outstanding} bytes of buffers, more than its threshold allows");

            // Now read everything: the sender finishes and the bytes are intact.
            byte[] received = new byte[data.Length];
            int filled = 0;
            while (filled < data.Length)
            {
                ReadResult result = await pipe.Input.ReadAsync(token);
                foreach (ReadOnlyMemory<byte> segment in result.Buffer)
                {
                    segment.Span.CopyTo(received.AsSpan(filled));
                    filled += segment.Length;
                }

                pipe.Input.AdvanceTo(result.Buffer.End);
                Assert.True(pool.Outstanding <= Threshold + (64 * 1024) + (16 * 4096), $"the pipe holds {pool.Outstanding} bytes of buffers while draining");
            }

            await sent.WaitAsync(token);
            Assert.True(data.AsSpan().SequenceEqual(received), "the data differs");
        }, token);
    });

    [SkippableFact]
    public virtual Task An_SslStream_over_AsStream_talks_to_a_TlsStream() => WithTcpPairAsync(async (client, server, token) =>
    {
        await using var ssl = new SslStream(client.AsStream(leaveOpen: true));
        Task<AnyNet.Tls.TlsStream> serverSide = AnyNet.Tls.TlsStream.WrapServerAsync(server, TestCertificates.Server(), cancellationToken: token);
        await ssl.AuthenticateAsClientAsync(TestCertificates.Client(), token);
        await using AnyNet.Tls.TlsStream tls = await serverSide;

        await ssl.WriteAsync("through SslStream"u8.ToArray(), token);
        Assert.Equal("through SslStream"u8.ToArray(), await tls.ReceiveExactlyAsync(17, token));
        await tls.SendAsync("back"u8.ToArray(), token);
        byte[] reply = new byte[4];
        await ssl.ReadExactlyAsync(reply, token);
        Assert.Equal("back"u8.ToArray(), reply);

        // SslStream.ShutdownAsync (close_notify) is a clean end for the strict TlsStream.
        await ssl.ShutdownAsync();
        Assert.Equal(0, await tls.ReceiveAsync(new byte[1], token));
    });

    [SkippableFact]
    public virtual Task A_NetworkStream_as_a_byte_stream_half_closes_with_shutdown() => RunAsync(async (backend, token) =>
    {
        Skip.IfNot(backend.Capabilities.HasFlag(BackendCapabilities.OperatingSystemSockets), $"skipped: the '{backend.Name}' backend does not declare OperatingSystemSockets (the client is a System.Net.Sockets socket).");
        await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
        ValueTask<ISocketStream> accept = listener.AcceptAsync(token);
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(listener.LocalEndPoint, token);
        await using IByteStream client = new NetworkStream(socket, ownsSocket: true).AsByteStream();
        await using ISocketStream server = await accept;

        await client.SendAsync("request"u8.ToArray(), token);
        await client.SendEofAsync(token);
        Assert.Equal("request"u8.ToArray(), await server.ReceiveToEndAsync(cancellationToken: token));
        await server.SendAsync("response"u8.ToArray(), token);
        await server.DisposeAsync();
        Assert.Equal("response"u8.ToArray(), await client.ReceiveToEndAsync(cancellationToken: token));
        Assert.Equal(0, await client.ReceiveAsync(new byte[1], token));
    });

    private sealed class FailingStream : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new IOException("the device is gone");

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromException<int>(new IOException("the device is gone"));

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new IOException("the device is gone");
    }

    /// <summary>A memory pool that counts the bytes rented and not yet returned.</summary>
    private sealed class CountingMemoryPool : MemoryPool<byte>
    {
        private long _outstanding;

        public long Outstanding => Interlocked.Read(ref _outstanding);

        public override int MaxBufferSize => 64 * 1024;

        public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
        {
            int size = minBufferSize <= 0 ? 4096 : minBufferSize;
            Interlocked.Add(ref _outstanding, size);
            return new Owner(this, new byte[size]);
        }

        protected override void Dispose(bool disposing)
        {
        }

        private sealed class Owner(CountingMemoryPool pool, byte[] array) : IMemoryOwner<byte>
        {
            private int _disposed;

            public Memory<byte> Memory => array;

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _disposed, 1) == 0)
                {
                    Interlocked.Add(ref pool._outstanding, -array.Length);
                }
            }
        }
    }
}
