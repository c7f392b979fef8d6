using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using AnyNet.Backends.Reactor.Interop;

namespace AnyNet.Backends.Reactor.Internal;

/// <summary>
/// A connected TCP or Unix stream socket driven by recv/send on the loop; a Unix one also passes descriptors with
/// sendmsg/recvmsg (SCM_RIGHTS) through the same readiness slots.
/// </summary>
internal sealed unsafe class StreamSocket : ReactorSocket, IFdPassingStream
{
    private readonly ReceiveOperation _receive;
    private readonly SendOperation _send;
    private readonly ReceiveFdsOperation _receiveFds;
    private readonly SendFdsOperation _sendFds;
    private bool _eofSent;
    private bool _shortReadDrains;

    public StreamSocket(EventLoop loop, SafeFd handle)
        : base(loop, handle, Libc.EPOLLIN | Libc.EPOLLOUT | Libc.EPOLLRDHUP)
    {
        _receive = new ReceiveOperation(this);
        _send = new SendOperation(this);
        _receiveFds = new ReceiveFdsOperation(this);
        _sendFds = new SendFdsOperation(this);
    }

    public EndPoint LocalEndPoint { get; private set; } = null!;

    public EndPoint RemoteEndPoint { get; private set; } = null!;

    public bool TryGetAttribute<T>(TypedAttribute<T> attribute, [MaybeNullWhen(false)] out T value) =>
        TryGetLoopContext(attribute, out value) || SocketAttributes.TryGet(attribute, this, RawHandleOrThrow(), LocalEndPoint, RemoteEndPoint, out value);

    public void SetOption(int level, int name, ReadOnlySpan<byte> value) => SetOptionCore(level, name, value);

    public int GetOption(int level, int name, Span<byte> value) => GetOptionCore(level, name, value);

    protected override string Kind => "stream";

    /// <summary>Reads both addresses once the socket is connected.</summary>
    public void CaptureEndPoints(EndPoint remoteFallback)
    {
        LocalEndPoint = GetLocalEndPoint() ?? remoteFallback;
        RemoteEndPoint = GetRemoteEndPoint() ?? remoteFallback;

        // epoll(7): for a stream socket, a read that returns less than asked for has exhausted the data, so with an
        // edge-triggered registration the next receive can wait for the next edge instead of trying recv(2) for an
        // EAGAIN (Tokio does the same, tokio-rs/tokio#4840). That saves one syscall per message in request/response
        // traffic. Only for TCP, where tcp_recvmsg stops short only when the queue is empty or at an urgent (MSG_OOB)
        // mark, which nothing here uses; a Unix stream read also stops early between messages that carry different
        // credentials or descriptors (unix_stream_read_generic), and those would wait for the peer's next write.
        _shortReadDrains = RemoteEndPoint is IPEndPoint;
    }

    /// <summary>Connects (loop thread): EINPROGRESS, then writability, then SO_ERROR.</summary>
    public ValueTask ConnectAsync(EndPoint remoteEndPoint, CancellationToken cancellationToken) =>
        new ConnectOperation(this, remoteEndPoint).Run(cancellationToken);

    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        if (IsClosed)
        {
            return ValueTask.FromException<int>(ClosedError());
        }

        if (IsForeignThread)
        {
            return new ValueTask<int>(Loop.InvokeAsync(static s => s.Item1.ReceiveAsync(s.buffer, s.cancellationToken), (this, buffer, cancellationToken)));
        }

        if (_receive.IsBusy || _receiveFds.IsBusy)
        {
            return ValueTask.FromException<int>(BusyResourceException.For("receiving"));
        }

        return _receive.Run(buffer, cancellationToken);
    }

    public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (IsClosed)
        {
            return ValueTask.FromException(ClosedError());
        }

        if (IsForeignThread)
        {
            return new ValueTask(Loop.InvokeAsync(static s => s.Item1.SendAsync(s.data, s.cancellationToken), (this, data, cancellationToken)));
        }

        if (_eofSent)
        {
            return ValueTask.FromException(new ClosedResourceException("This stream's sending side was closed by SendEofAsync."));
        }

        if (_send.IsBusy || _sendFds.IsBusy)
        {
            return ValueTask.FromException(BusyResourceException.For("sending"));
        }

        return data.IsEmpty ? ValueTask.CompletedTask : _send.Run(data, cancellationToken);
    }

    public ValueTask SendEofAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (IsClosed)
        {
            return ValueTask.FromException(ClosedError());
        }

        if (IsForeignThread)
        {
            return new ValueTask(Loop.InvokeAsync(static s => s.Item1.SendEofAsync(s.cancellationToken), (this, cancellationToken)));
        }

        if (_eofSent)
        {
            return ValueTask.CompletedTask;
        }

        if (_send.IsBusy || _sendFds.IsBusy)
        {
            // Shutting down under a send that is still waiting would cut it off mid-buffer.
            return ValueTask.FromException(BusyResourceException.For("sending"));
        }

        _eofSent = true;
        if (Libc.Shutdown(Fd, Libc.SHUT_WR) != 0)
        {
            return ValueTask.FromException(SocketErrors.Broken(Libc.LastErrno, "shutdown"));
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask SendFdsAsync(ReadOnlyMemory<byte> message, IReadOnlyList<SafeHandle> handles, CancellationToken cancellationToken = default)
    {
        if (LocalEndPoint is not UnixDomainSocketEndPoint)
        {
            return ValueTask.FromException(UnixRights.NotUnix("TCP stream"));
        }

        UnixRights.ValidateSend(message, handles);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (IsClosed)
        {
            return ValueTask.FromException(ClosedError());
        }

        if (IsForeignThread)
        {
            return new ValueTask(Loop.InvokeAsync(static s => s.Item1.SendFdsAsync(s.message, s.handles, s.cancellationToken), (this, message, handles, cancellationToken)));
        }

        if (_eofSent)
        {
            return ValueTask.FromException(new ClosedResourceException("This stream's sending side was closed by SendEofAsync."));
        }

        if (_send.IsBusy || _sendFds.IsBusy)
        {
            return ValueTask.FromException(BusyResourceException.For("sending"));
        }

        return _sendFds.Run(message, handles, cancellationToken);
    }

    public ValueTask<FdReceiveResult> ReceiveFdsAsync(Memory<byte> buffer, int maxHandles, CancellationToken cancellationToken = default)
    {
        if (LocalEndPoint is not UnixDomainSocketEndPoint)
        {
            return ValueTask.FromException<FdReceiveResult>(UnixRights.NotUnix("TCP stream"));
        }

        UnixRights.ValidateReceive(buffer, maxHandles);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<FdReceiveResult>(cancellationToken);
        }

        if (IsClosed)
        {
            return ValueTask.FromException<FdReceiveResult>(ClosedError());
        }

        if (IsForeignThread)
        {
            return new ValueTask<FdReceiveResult>(Loop.InvokeAsync(static s => s.Item1.ReceiveFdsAsync(s.buffer, s.maxHandles, s.cancellationToken), (this, buffer, maxHandles, cancellationToken)));
        }

        if (_receive.IsBusy || _receiveFds.IsBusy)
        {
            return ValueTask.FromException<FdReceiveResult>(BusyResourceException.For("receiving"));
        }

        return _receiveFds.Run(buffer, maxHandles, cancellationToken);
    }

    public ValueTask DisposeAsync() => CloseAsync();

    private static bool IsWouldBlock(int errno) => errno == Libc.EAGAIN;

    /// <summary>
    /// Sends what is left of a send without waiting: true when it is all gone or failed (<paramref name="error"/>),
    /// false when the socket is full and the operation waits for writability.
    /// </summary>
    private static bool SendRemaining(int fd, ref ReadOnlyMemory<byte> remaining, out Exception? error)
    {
        error = null;
        while (!remaining.IsEmpty)
        {
            ReadOnlySpan<byte> span = remaining.Span;
            nint sent;
            fixed (byte* p = span)
            {
                sent = Libc.Send(fd, p, (nuint)span.Length, Libc.MSG_NOSIGNAL | Libc.MSG_DONTWAIT);
            }

            if (sent >= 0)
            {
                remaining = remaining[(int)sent..];
                continue;
            }

            int errno = Libc.LastErrno;
            if (errno == Libc.EINTR)
            {
                continue;
            }

            if (IsWouldBlock(errno))
            {
                return false;
            }

            remaining = default;
            error = SocketErrors.Broken(errno, "send");
            return true;
        }

        return true;
    }

    private sealed class ReceiveOperation : LoopOperation<int>
    {
        private readonly StreamSocket _stream;
        private Memory<byte> _buffer;

        public ReceiveOperation(StreamSocket socket) : base(socket, isReader: true) => _stream = socket;

        protected override bool WorthTryingAtOnce => _stream.MayBeReadable;

        public ValueTask<int> Run(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            _buffer = buffer;
            return Start(cancellationToken);
        }

        protected override bool TryExecute(out int result, out Exception? error)
        {
            error = null;
            result = 0;
            Span<byte> span = _buffer.Span;
            byte peek;
            while (true)
            {
                nint received;
                // A zero-length receive asks "is anything readable?": peek one byte, consume nothing.
                if (span.IsEmpty)
                {
                    received = Libc.Recv(Socket.Fd, &peek, 1, Libc.MSG_PEEK);
                }
                else
                {
                    fixed (byte* p = span)
                    {
                        received = Libc.Recv(Socket.Fd, p, (nuint)span.Length, 0);
                    }
                }

                if (received >= 0)
                {
                    if (received > 0 && received < span.Length && _stream._shortReadDrains && !_stream.PeerEndSeen)
                    {
                        _stream.MayBeReadable = false;
                    }

                    result = span.IsEmpty ? 0 : (int)received;
                    _buffer = default;
                    return true;
                }

                int errno = Libc.LastErrno;
                if (errno == Libc.EINTR)
                {
                    continue;
                }

                if (IsWouldBlock(errno))
                {
                    _stream.MayBeReadable = false;
                    return false;
                }

                _buffer = default;
                error = SocketErrors.Broken(errno, "recv");
                return true;
            }
        }
    }

    private sealed class SendOperation : LoopOperation<int>
    {
        private ReadOnlyMemory<byte> _remaining;

        public SendOperation(StreamSocket socket) : base(socket, isReader: false) { }

        public ValueTask Run(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            _remaining = data;
            return StartVoid(cancellationToken);
        }

        protected override bool TryExecute(out int result, out Exception? error)
        {
            result = 0;
            return SendRemaining(Socket.Fd, ref _remaining, out error);
        }
    }

    private sealed class ReceiveFdsOperation : LoopOperation<FdReceiveResult>
    {
        private Memory<byte> _buffer;
        private int _maxHandles;

        public ReceiveFdsOperation(StreamSocket socket) : base(socket, isReader: true) { }

        public ValueTask<FdReceiveResult> Run(Memory<byte> buffer, int maxHandles, CancellationToken cancellationToken)
        {
            _buffer = buffer;
            _maxHandles = maxHandles;
            return Start(cancellationToken);
        }

        protected override bool TryExecute(out FdReceiveResult result, out Exception? error)
        {
            result = default;
            error = null;
            nint received;
            Microsoft.Win32.SafeHandles.SafeFileHandle[] handles;
            try
            {
                received = UnixRights.TryReceive(Socket.Fd, _buffer.Span, _maxHandles, out handles);
            }
            catch (IOException tooMany)
            {
                _buffer = default;
                error = tooMany;
                return true;
            }

            if (UnixRights.WouldBlock(received))
            {
                return false;
            }

            _buffer = default;
            if (received < 0)
            {
                error = UnixRights.ReceiveError((int)-received);
                return true;
            }

            result = new FdReceiveResult((int)received, handles);
            return true;
        }
    }

    private sealed class SendFdsOperation : LoopOperation<int>
    {
        private ReadOnlyMemory<byte> _remaining;
        private IReadOnlyList<SafeHandle>? _handles;

        public SendFdsOperation(StreamSocket socket) : base(socket, isReader: false) { }

        public ValueTask Run(ReadOnlyMemory<byte> message, IReadOnlyList<SafeHandle> handles, CancellationToken cancellationToken)
        {
            _remaining = message;
            _handles = handles;
            return StartVoid(cancellationToken);
        }

        protected override bool TryExecute(out int result, out Exception? error)
        {
            result = 0;
            error = null;
            if (_handles is { } handles)
            {
                nint sent = UnixRights.TrySend(Socket.Fd, _remaining.Span, handles);
                if (UnixRights.WouldBlock(sent))
                {
                    return false;
                }

                _handles = null;
                if (sent < 0)
                {
                    _remaining = default;
                    error = UnixRights.SendError((int)-sent, handles);
                    return true;
                }

                _remaining = _remaining[(int)sent..];
            }

            // The descriptors went with the first bytes; the rest is plain data.
            return SendRemaining(Socket.Fd, ref _remaining, out error);
        }
    }

    private sealed class ConnectOperation : LoopOperation<int>
    {
        private readonly EndPoint _remoteEndPoint;
        private bool _started;

        public ConnectOperation(StreamSocket socket, EndPoint remoteEndPoint) : base(socket, isReader: false) => _remoteEndPoint = remoteEndPoint;

        public ValueTask Run(CancellationToken cancellationToken) => StartVoid(cancellationToken);

        protected override bool TryExecute(out int result, out Exception? error)
        {
            result = 0;
            error = null;
            int errno;
            if (!_started)
            {
                _started = true;
                byte* address = stackalloc byte[SockAddr.MaxSize];
                int length = SockAddr.Encode(_remoteEndPoint, new Span<byte>(address, SockAddr.MaxSize));
                if (Libc.Connect(Socket.Fd, address, length) == 0)
                {
                    return true;
                }

                errno = Libc.LastErrno;
                // An interrupted connect carries on in the background, exactly like EINPROGRESS.
                if (errno is Libc.EINPROGRESS or Libc.EINTR)
                {
                    return false;
                }
            }
            else
            {
                int value = 0;
                int size = sizeof(int);
                errno = Libc.GetSockOpt(Socket.Fd, Libc.SOL_SOCKET, Libc.SO_ERROR, &value, &size) == 0 ? value : Libc.LastErrno;
                if (errno == 0)
                {
                    return true;
                }
            }

            error = SocketErrors.Exception(errno, "connect", _remoteEndPoint);
            return true;
        }
    }
}
