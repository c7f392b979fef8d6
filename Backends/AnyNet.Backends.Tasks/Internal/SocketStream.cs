using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace AnyNet.Backends.Tasks.Internal;

/// <summary>
/// A connected TCP or Unix stream socket over System.Net.Sockets' ValueTask APIs. Those APIs reuse one cached
/// awaitable per direction; an operation they finish at once returns its result directly, and one that waits is handed
/// to the caller through this stream's own reusable awaitable (<see cref="StreamReceive"/>, <see cref="StreamSend"/>), so
/// a steady-state receive or send allocates nothing and costs one callback more than a plain socket's, not an async
/// method's state machine.
/// </summary>
internal sealed class SocketStream : ISocketStream
{
    private readonly Socket _socket;
    private readonly StreamReceive _receive;
    private readonly StreamSend _send;
    private OperationGate _receiveGate;
    private OperationGate _sendGate;
    private volatile bool _closed;
    private volatile bool _eofSent;

    public SocketStream(Socket socket)
    {
        _socket = socket;
        _receive = new StreamReceive(this);
        _send = new StreamSend(this, socket);
        LocalEndPoint = socket.LocalEndPoint!;
        RemoteEndPoint = socket.RemoteEndPoint!;
    }

    public EndPoint LocalEndPoint { get; }

    public EndPoint RemoteEndPoint { get; }

    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_closed)
        {
            return ValueTask.FromException<int>(ClosedError());
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        if (!_receiveGate.TryEnter())
        {
            return ValueTask.FromException<int>(BusyResourceException.For("receiving"));
        }

        ValueTask<int> pending;
        try
        {
            pending = _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (pending.IsCompleted)
            {
                // Finished at once (data was there): no awaitable of ours is involved.
                int received = pending.GetAwaiter().GetResult();
                _receiveGate.Exit();
                return new ValueTask<int>(received);
            }
        }
        catch (Exception error)
        {
            _receiveGate.Exit();
            return ValueTask.FromException<int>(Translate(error));
        }

        return _receive.Forward(pending);
    }

    public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (_closed)
        {
            return ValueTask.FromException(ClosedError());
        }

        if (_eofSent)
        {
            return ValueTask.FromException(new ClosedResourceException("This stream's sending side was closed by SendEofAsync."));
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (!_sendGate.TryEnter())
        {
            return ValueTask.FromException(BusyResourceException.For("sending"));
        }

        try
        {
            // On Linux a stream send finishes only when every byte went (or failed); the loop is for anywhere else.
            while (!data.IsEmpty)
            {
                ValueTask<int> pending = _socket.SendAsync(data, SocketFlags.None, cancellationToken);
                if (!pending.IsCompleted)
                {
                    return _send.Forward(pending, data, cancellationToken);
                }

                data = data[pending.GetAwaiter().GetResult()..];
            }
        }
        catch (Exception error)
        {
            _sendGate.Exit();
            return ValueTask.FromException(Translate(error));
        }

        _sendGate.Exit();
        return ValueTask.CompletedTask;
    }

    /// <summary>Opens the receive gate once the caller has taken the result of a receive that waited.</summary>
    internal void ExitReceive() => _receiveGate.Exit();

    /// <summary>Opens the send gate once the caller has taken the result of a send that waited.</summary>
    internal void ExitSend() => _sendGate.Exit();

    /// <summary>AnyNet's exception for a failure of the runtime's socket operation (see <see cref="SocketFailures.Translate"/>).</summary>
    internal Exception Translate(Exception error) => SocketFailures.Translate(error, _closed, "stream") ?? error;

    public ValueTask SendEofAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        cancellationToken.ThrowIfCancellationRequested();
        if (_eofSent)
        {
            return ValueTask.CompletedTask;
        }

        // Shutting down under a send that is still waiting would cut it off mid-buffer, and the peer would see a clean
        // end after a truncated payload. The send's gate makes that a busy error, as on every backend.
        _sendGate.Enter("sending");
        try
        {
            _eofSent = true;
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException error)
        {
            throw SocketErrors.Broken(error);
        }
        finally
        {
            _sendGate.Exit();
        }

        return ValueTask.CompletedTask;
    }

    public bool TryGetAttribute<T>(TypedAttribute<T> attribute, [MaybeNullWhen(false)] out T value) =>
        SocketAttributes.TryGet(attribute, this, RawSocketOptions.Handle(_socket, _closed, "stream"), LocalEndPoint, RemoteEndPoint, out value);

    public void SetOption(int level, int name, ReadOnlySpan<byte> value) => RawSocketOptions.Set(_socket, _closed, "stream", level, name, value);

    public int GetOption(int level, int name, Span<byte> value) => RawSocketOptions.Get(_socket, _closed, "stream", level, name, value);

    public ValueTask DisposeAsync()
    {
        _closed = true;
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    private void ThrowIfClosed()
    {
        if (_closed)
        {
            throw ClosedError();
        }
    }

    private static ClosedResourceException ClosedError() => new("This stream was closed.");

}
