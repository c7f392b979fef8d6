using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace AnyNet.Backends.Tasks.Internal;

/// <summary>
/// A connected TCP or Unix stream socket over System.Net.Sockets' ValueTask APIs. Those APIs reuse one cached
/// awaitable per direction, and the async methods here use the pooling builder, so a steady-state receive or send
/// allocates nothing.
/// </summary>
internal sealed class SocketStream : ISocketStream
{
    private readonly Socket _socket;
    private OperationGate _receiveGate;
    private OperationGate _sendGate;
    private volatile bool _closed;
    private volatile bool _eofSent;

    public SocketStream(Socket socket)
    {
        _socket = socket;
        LocalEndPoint = socket.LocalEndPoint!;
        RemoteEndPoint = socket.RemoteEndPoint!;
    }

    public EndPoint LocalEndPoint { get; }

    public EndPoint RemoteEndPoint { get; }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        cancellationToken.ThrowIfCancellationRequested();
        _receiveGate.Enter("receiving");
        try
        {
            return await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
        }
        catch (Exception error) when (SocketFailures.Translate(error, _closed, "stream") is { } translated)
        {
            throw translated;
        }
        finally
        {
            _receiveGate.Exit();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        ThrowIfEofSent();
        cancellationToken.ThrowIfCancellationRequested();
        _sendGate.Enter("sending");
        try
        {
            while (!data.IsEmpty)
            {
                int sent = await _socket.SendAsync(data, SocketFlags.None, cancellationToken);
                data = data[sent..];
            }
        }
        catch (Exception error) when (SocketFailures.Translate(error, _closed, "stream") is { } translated)
        {
            throw translated;
        }
        finally
        {
            _sendGate.Exit();
        }
    }

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
            throw new ClosedResourceException("This stream was closed.");
        }
    }

    private void ThrowIfEofSent()
    {
        if (_eofSent)
        {
            throw new ClosedResourceException("This stream's sending side was closed by SendEofAsync.");
        }
    }

}
