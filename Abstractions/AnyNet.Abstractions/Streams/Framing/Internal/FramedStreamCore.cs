using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace AnyNet.Internal;

/// <summary>
/// What the framed streams share: the buffered byte stream under them, the fault that broke each direction, the send
/// guard, the pooled coalescing buffer for sends, and the enumerator that stops only at a clean end.
/// </summary>
internal sealed class FramedStreamCore
{
    /// <summary>Frames up to this size (with their prefix or terminator) go out in one send through a pooled copy.</summary>
    private const int CoalesceLimit = 16 * 1024;

    private readonly ResourceGuard _sending = new("sending");
    private readonly byte[] _header = new byte[4];
    private Exception? _receiveFault;
    private Exception? _sendFault;
    private int _disposed;

    public FramedStreamCore(IByteStream stream, bool leaveOpen) =>
        Buffered = stream as BufferedByteStream ?? new BufferedByteStream(stream, leaveOpen: leaveOpen);

    public BufferedByteStream Buffered { get; }

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Throws if the receiving side was broken by an earlier framing error (or is closed).</summary>
    public void CheckReceive(CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        if (_receiveFault is { } fault)
        {
            throw new BrokenResourceException($"The framed stream is broken by an earlier error: {fault.Message}", fault);
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Records <paramref name="fault"/> as what broke the receiving side and returns it, to be thrown.</summary>
    public Exception BreakReceive(Exception fault)
    {
        _receiveFault ??= fault;
        return fault;
    }

    /// <summary>
    /// Sends a big-endian length prefix of <paramref name="prefixLength"/> bytes (0: none), <paramref name="payload"/> and
    /// <paramref name="trailer"/> as one frame: one send
    /// through a pooled copy when small, otherwise three sends. A failure after the first byte may have left a partial
    /// frame on the wire, so it breaks the sending side: later sends throw <see cref="BrokenResourceException"/>.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendFrameAsync(int prefixLength, ReadOnlyMemory<byte> payload, ReadOnlyMemory<byte> trailer, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        if (_sendFault is { } fault)
        {
            throw new BrokenResourceException($"The framed stream's sending side is broken by an earlier error: {fault.Message}", fault);
        }

        cancellationToken.ThrowIfCancellationRequested();
        using (_sending.Enter())
        {
            // Written under the guard: the header must not change while a large frame's sends are in flight.
            switch (prefixLength)
            {
                case 0:
                    break;
                case 1:
                    _header[0] = (byte)payload.Length;
                    break;
                case 2:
                    BinaryPrimitives.WriteUInt16BigEndian(_header, (ushort)payload.Length);
                    break;
                default:
                    BinaryPrimitives.WriteUInt32BigEndian(_header, (uint)payload.Length);
                    break;
            }

            ReadOnlyMemory<byte> header = _header.AsMemory(0, prefixLength);
            int total = header.Length + payload.Length + trailer.Length;
            try
            {
                if (total <= CoalesceLimit)
                {
                    byte[] frame = ArrayPool<byte>.Shared.Rent(total);
                    try
                    {
                        header.Span.CopyTo(frame);
                        payload.Span.CopyTo(frame.AsSpan(header.Length));
                        trailer.Span.CopyTo(frame.AsSpan(header.Length + payload.Length));
                        await Buffered.SendAsync(frame.AsMemory(0, total), cancellationToken);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(frame);
                    }
                }
                else
                {
                    if (!header.IsEmpty)
                    {
                        await Buffered.SendAsync(header, cancellationToken);
                    }

                    await Buffered.SendAsync(payload, cancellationToken);
                    if (!trailer.IsEmpty)
                    {
                        await Buffered.SendAsync(trailer, cancellationToken);
                    }
                }
            }
            catch (Exception error) when (error is not ClosedResourceException)
            {
                _sendFault ??= error;
                throw;
            }
        }
    }

    public ValueTask SendEofAsync(CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        return Buffered.SendEofAsync(cancellationToken);
    }

    public ValueTask DisposeAsync() =>
        Interlocked.Exchange(ref _disposed, 1) == 0 ? Buffered.DisposeAsync() : ValueTask.CompletedTask;

    /// <summary>Receives until the clean end of the stream; a truncated frame or any other error is thrown.</summary>
    public static async IAsyncEnumerator<ReadOnlyMemory<byte>> EnumerateAsync(
        IObjectReceiveStream<ReadOnlyMemory<byte>> stream, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadOnlyMemory<byte> frame;
            try
            {
                frame = await stream.ReceiveAsync(cancellationToken);
            }
            catch (EndOfStreamException end) when (end is not IncompleteReadException)
            {
                yield break;
            }

            yield return frame;
        }
    }

    private void ThrowIfDisposed()
    {
        if (IsDisposed)
        {
            throw new ClosedResourceException("This framed stream was closed.");
        }
    }
}
