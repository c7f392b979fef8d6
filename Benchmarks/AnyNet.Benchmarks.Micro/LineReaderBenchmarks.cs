using System.Buffers;
using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;

namespace AnyNet.Benchmarks.Micro;

/// <summary>
/// Reading CRLF-terminated 40-byte lines from a stream that delivers 1,460-byte chunks (one TCP segment's payload), so
/// delimiters are regularly split across receives: <see cref="BufferedByteReceiveStream.ReceiveUntilAsync"/> next to
/// the usual <see cref="PipeReader"/> line loop (the baseline). The source is in memory and completes synchronously, so
/// only the readers' own costs are measured.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "BenchmarkDotNet runs instance methods.")]
public class LineReaderBenchmarks
{
    public const int Lines = 100_000;
    private static readonly byte[] s_crlf = "\r\n"u8.ToArray();
    private static readonly byte[] s_text = MakeText();

    [Benchmark(Baseline = true, OperationsPerInvoke = Lines)]
    public Task<long> PipeReaderLines() => PipeReaderLinesAsync(Lines);

    [Benchmark(OperationsPerInvoke = Lines)]
    public Task<long> BufferedReceiveUntil() => BufferedLinesAsync(Lines);

    /// <summary>Reads <paramref name="lines"/> lines with <see cref="BufferedByteReceiveStream.ReceiveUntilAsync"/>.</summary>
    public static async Task<long> BufferedLinesAsync(int lines)
    {
        await using var stream = new BufferedByteReceiveStream(new CannedReceiveStream(s_text));
        long total = 0;
        for (int i = 0; i < lines; i++)
        {
            ReadOnlyMemory<byte> line = await stream.ReceiveUntilAsync(s_crlf, 1024);
            total += line.Length;
        }

        return total;
    }

    /// <summary>Reads <paramref name="lines"/> lines with a PipeReader over the same source (the documented pattern).</summary>
    public static async Task<long> PipeReaderLinesAsync(int lines)
    {
        PipeReader reader = PipeReader.Create(new CannedStream(s_text), new StreamPipeReaderOptions(bufferSize: 8192));
        long total = 0;
        int read = 0;
        while (read < lines)
        {
            ReadResult result = await reader.ReadAsync();
            ReadOnlySequence<byte> buffer = result.Buffer;
            var sequence = new SequenceReader<byte>(buffer);
            while (read < lines && sequence.TryReadTo(out ReadOnlySequence<byte> line, s_crlf))
            {
                total += line.Length;
                read++;
            }

            reader.AdvanceTo(sequence.Position, buffer.End);
        }

        await reader.CompleteAsync();
        return total;
    }

    private static byte[] MakeText()
    {
        // 1,000 lines of 40 bytes + CRLF: the sources replay it forever.
        byte[] text = new byte[1000 * 42];
        for (int i = 0; i < 1000; i++)
        {
            Span<byte> line = text.AsSpan(i * 42, 42);
            line[..40].Fill((byte)('a' + (i % 26)));
            line[40] = (byte)'\r';
            line[41] = (byte)'\n';
        }

        return text;
    }

    /// <summary>An endless receive stream replaying <c>text</c> in 1,460-byte chunks, synchronously.</summary>
    private sealed class CannedReceiveStream(byte[] text) : IByteReceiveStream
    {
        private int _position;

        public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            new(Replay(text, ref _position, buffer.Span));

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>The same source as a <see cref="Stream"/> for the PipeReader.</summary>
    private sealed class CannedStream(byte[] text) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            new(Replay(text, ref _position, buffer.Span));

        public override int Read(byte[] buffer, int offset, int count) => Replay(text, ref _position, buffer.AsSpan(offset, count));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static int Replay(byte[] text, ref int position, Span<byte> destination)
    {
        int n = Math.Min(Math.Min(destination.Length, 1460), text.Length - position);
        text.AsSpan(position, n).CopyTo(destination);
        position = (position + n) % text.Length;
        return n;
    }
}
