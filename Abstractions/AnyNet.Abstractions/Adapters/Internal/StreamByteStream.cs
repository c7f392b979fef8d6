using System.Net.Security;
using System.Net.Sockets;

namespace AnyNet.Adapters.Internal;

/// <summary>
/// A <see cref="Stream"/> under AnyNet's rules: one receive and one send at a time (<see cref="BusyResourceException"/>),
/// <see cref="ClosedResourceException"/> after this end was closed (also for operations blocked at that moment: closing
/// cancels them), 0 at the end, <see cref="BrokenResourceException"/> for transport failures, and half-close where the
/// stream has one.
/// </summary>
internal sealed class StreamByteStream : IByteStream
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly Func<Stream, CancellationToken, ValueTask>? _sendEof;
    private readonly ResourceGuard _receiving = new("receiving");
    private readonly ResourceGuard _sending = new("sending");

    // Cancelled when this end is closed, so that a blocked read or write of a stream that honours cancellation wakes up.
    private readonly CancellationTokenSource _closing = new();
    private int _closed;
    private int _eofSent;

    public StreamByteStream(Stream stream, Func<Stream, CancellationToken, ValueTask>? sendEof, bool leaveOpen)
    {
        _stream = stream;
        _sendEof = sendEof;
        _leaveOpen = leaveOpen;
    }

    private bool IsClosed => Volatile.Read(ref _closed) != 0;

    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfClosed();
        using ResourceGuard.Scope scope = _receiving.Enter();
        if (!_stream.CanRead)
        {
            throw new NotSupportedException($"The wrapped {_stream.GetType().Name} cannot be read.");
        }

        using CancellationTokenSource linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
        try
        {
            return await _stream.ReadAsync(buffer, linked.Token);
        }
        catch (Exception error) when (Translate(error, "receiving from", cancellationToken) is { } translated)
        {
            throw translated;
        }
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfClosed();
        using ResourceGuard.Scope scope = _sending.Enter();
        if (Volatile.Read(ref _eofSent) != 0)
        {
            throw new ClosedResourceException("The sending side was closed with SendEofAsync.");
        }

        if (data.IsEmpty)
        {
            return;
        }

        using CancellationTokenSource linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
        try
        {
            await _stream.WriteAsync(data, linked.Token);

            // A Stream may keep written bytes in its own buffer (BufferedStream, GZipStream); AnyNet's send means the
            // bytes are on their way, so flush every time (a no-op for NetworkStream and SslStream).
            await _stream.FlushAsync(linked.Token);
        }
        catch (Exception error) when (Translate(error, "sending to", cancellationToken) is { } translated)
        {
            throw translated;
        }
    }

    public async ValueTask SendEofAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfClosed();
        if (Volatile.Read(ref _eofSent) != 0)
        {
            return;
        }

        using ResourceGuard.Scope scope = _sending.Enter();
        if (Interlocked.Exchange(ref _eofSent, 1) != 0)
        {
            return;
        }

        try
        {
            if (_sendEof is not null)
            {
                await _sendEof(_stream, cancellationToken);
            }
            else
            {
                await HalfCloseAsync(_stream, cancellationToken);
            }
        }
        catch (NotSupportedException)
        {
            Volatile.Write(ref _eofSent, 0);
            throw;
        }
        catch (Exception error) when (Translate(error, "half-closing", cancellationToken) is { } translated)
        {
            throw translated;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        await _closing.CancelAsync();
        if (!_leaveOpen)
        {
            try
            {
                await _stream.DisposeAsync();
            }
            catch (IOException)
            {
                // A stream that flushes on close (GZipStream, BufferedStream) may find its own transport gone; this end
                // is closed either way, and the failure was (or will be) reported by the operation that hit it.
            }
        }
    }

    /// <summary>
    /// The half-close of the stream kinds .NET ships: a socket's shutdown(SHUT_WR), TLS close_notify, an AnyNet stream's own SendEof, and for a write-only stream (a pipe, a compressor) its
    /// close, which is how its reader sees the end.
    /// </summary>
    internal static async ValueTask HalfCloseAsync(Stream stream, CancellationToken cancellationToken)
    {
        switch (stream)
        {
            case ByteStreamStream anyNet:
                await anyNet.Inner.SendEofAsync(cancellationToken);
                break;
            case NetworkStream network:
                network.Socket.Shutdown(SocketShutdown.Send);
                break;
            case SslStream ssl:
                // close_notify is TLS's own half-close; the transport under it is not reachable from here.
                await ssl.ShutdownAsync();
                break;
            case { CanWrite: true, CanRead: false }:
                await stream.DisposeAsync();
                break;
            default:
                throw new NotSupportedException(
                    $"{stream.GetType().FullName} has no half-close that AnyNet knows; pass a sendEof delegate to AsByteStream to say how to end the sending side.");
        }
    }

    private void ThrowIfClosed()
    {
        if (IsClosed)
        {
            throw new ClosedResourceException("This stream was closed.");
        }
    }

    private Exception? Translate(Exception error, string action, CancellationToken cancellationToken)
    {
        if (IsClosed)
        {
            return error is ClosedResourceException ? null : new ClosedResourceException($"This stream was closed while {action} it.", error);
        }

        return error switch
        {
            OperationCanceledException when cancellationToken.IsCancellationRequested => null,
            ClosedResourceException or BrokenResourceException or BusyResourceException => null,
            ObjectDisposedException => new ClosedResourceException($"The wrapped {_stream.GetType().Name} was disposed.", error),
            IOException => new BrokenResourceException($"The wrapped {_stream.GetType().Name} failed while {action} it: {error.Message}", error),
            _ => null,
        };
    }
}
