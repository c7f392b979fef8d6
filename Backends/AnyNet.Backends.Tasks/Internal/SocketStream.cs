using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace AnyNet.Backends.Tasks.Internal;

/// <summary>
/// A connected TCP or Unix stream socket over System.Net.Sockets' ValueTask APIs. Those APIs reuse one cached
/// awaitable per direction; an operation they finish at once returns its result directly, and one that waits is handed
/// to the caller through this stream's own reusable awaitable of that direction (StreamOperations.cs), so a steady-state
/// receive or send allocates nothing and costs one callback more than a plain socket's, not an async method's state machine.
/// </summary>
/// <remarks>
/// Descriptor passing: sendmsg/recvmsg with SCM_RIGHTS on the socket's descriptor (System.Net.Sockets has no API for
/// control messages on stream sockets). A receive waits for readability with a zero-byte peeking ReceiveAsync (the
/// runtime's epoll engine, consuming nothing); a send that finds the socket full waits with poll(2) on a dedicated thread, the
/// one readiness wait the runtime does not expose.
/// </remarks>
internal sealed partial class SocketStream : IFdPassingStream
{
    private readonly Socket _socket;
    private readonly Action _onReceiveCompleted;
    private readonly Action _onSendCompleted;
    private CancellationTokenSource? _closing; // made by the first descriptor send that waits
    private OperationGate _receiveGate;
    private OperationGate _sendGate;
    private volatile bool _closed;
    private volatile bool _eofSent;

    public SocketStream(Socket socket)
    {
        _socket = socket;
        _onReceiveCompleted = OnReceiveCompleted;
        _onSendCompleted = OnSendCompleted;
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

        return ForwardReceive(pending);
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
                    return ForwardSend(pending, data, cancellationToken);
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

    /// <summary>AnyNet's exception for a failure of the runtime's socket operation (see <see cref="SocketFailures.Translate"/>).</summary>
    private Exception Translate(Exception error) => SocketFailures.Translate(error, _closed, "stream") ?? error;

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

    public async ValueTask SendFdsAsync(ReadOnlyMemory<byte> message, IReadOnlyList<SafeHandle> handles, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        if (_eofSent)
        {
            throw new ClosedResourceException("This stream's sending side was closed by SendEofAsync.");
        }

        ThrowIfNotUnix();
        UnixRights.ValidateSend(message, handles);
        cancellationToken.ThrowIfCancellationRequested();
        _sendGate.Enter("sending");
        try
        {
            while (true)
            {
                nint sent = TrySendFds(message, handles);
                if (sent > 0)
                {
                    message = message[(int)sent..];
                    break;
                }

                if (!UnixRights.WouldBlock(sent))
                {
                    throw UnixRights.SendError((int)-sent, handles);
                }

                // Closing the stream cancels the wait: the poll watches a duplicate, which a close of ours would not wake.
                CancellationTokenSource closing = LazyInitializer.EnsureInitialized(ref _closing);
                if (_closed)
                {
                    closing.Cancel();
                }

                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, closing.Token);
                await ForeignDescriptor.PollOnThreadAsync(RawSocketOptions.Handle(_socket, _closed, "stream"), writable: true, linked.Token);
            }

            // The descriptors went with the first bytes; what the socket did not take then is plain data.
            while (!message.IsEmpty)
            {
                int sent = await _socket.SendAsync(message, SocketFlags.None, cancellationToken);
                message = message[sent..];
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

    public async ValueTask<FdReceiveResult> ReceiveFdsAsync(Memory<byte> buffer, int maxHandles, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        ThrowIfNotUnix();
        UnixRights.ValidateReceive(buffer, maxHandles);
        cancellationToken.ThrowIfCancellationRequested();
        _receiveGate.Enter("receiving");
        try
        {
            while (true)
            {
                nint received = TryReceiveFds(buffer, maxHandles, out Microsoft.Win32.SafeHandles.SafeFileHandle[] handles);
                if (received >= 0)
                {
                    return new FdReceiveResult((int)received, handles);
                }

                if (!UnixRights.WouldBlock(received))
                {
                    throw UnixRights.ReceiveError((int)-received);
                }

                // A zero-byte receive waits in the runtime's engine until the socket is readable. MSG_PEEK so that the
                // wait can never take the message or its descriptors, whatever syscall the runtime makes underneath
                // (descriptors received without a control buffer are discarded by the kernel).
                _ = await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.Peek, cancellationToken);
            }
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

    // The socket's SafeHandle is referenced for the call so a concurrent dispose cannot free the number in the middle.
    private nint TrySendFds(ReadOnlyMemory<byte> message, IReadOnlyList<SafeHandle> handles)
    {
        bool added = false;
        SafeSocketHandle handle = _socket.SafeHandle;
        try
        {
            handle.DangerousAddRef(ref added);
            return UnixRights.TrySend((int)handle.DangerousGetHandle(), message.Span, handles);
        }
        catch (ObjectDisposedException error)
        {
            throw new ClosedResourceException("This stream was closed.", error);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private nint TryReceiveFds(Memory<byte> buffer, int maxHandles, out Microsoft.Win32.SafeHandles.SafeFileHandle[] handles)
    {
        bool added = false;
        SafeSocketHandle handle = _socket.SafeHandle;
        try
        {
            handle.DangerousAddRef(ref added);
            return UnixRights.TryReceive((int)handle.DangerousGetHandle(), buffer.Span, maxHandles, out handles);
        }
        catch (ObjectDisposedException error)
        {
            throw new ClosedResourceException("This stream was closed.", error);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private void ThrowIfNotUnix()
    {
        if (_socket.AddressFamily != AddressFamily.Unix)
        {
            throw UnixRights.NotUnix("TCP stream");
        }
    }

    public ValueTask DisposeAsync()
    {
        _closed = true;
        Volatile.Read(ref _closing)?.Cancel();
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
