using System.Net;
using AnyNet.Backends.Reactor.Interop;

namespace AnyNet.Backends.Reactor.Internal;

/// <summary>A UDP or Unix datagram socket driven by recvfrom/sendto on the loop.</summary>
internal sealed unsafe class DatagramSocket : ReactorSocket, IDatagramSocket
{
    private readonly ReceiveFromOperation _receive;
    private readonly SendToOperation _send;
    private readonly string? _unixPath;

    public DatagramSocket(EventLoop loop, SafeFd handle, string? unixPath)
        : base(loop, handle, Libc.EPOLLIN | Libc.EPOLLOUT)
    {
        _unixPath = unixPath;
        _receive = new ReceiveFromOperation(this);
        _send = new SendToOperation(this);
    }

    public EndPoint LocalEndPoint { get; set; } = null!;

    public EndPoint? RemoteEndPoint { get; set; }

    protected override string Kind => "datagram socket";

    public ValueTask<DatagramReceiveResult> ReceiveFromAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<DatagramReceiveResult>(cancellationToken);
        }

        if (IsClosed)
        {
            return ValueTask.FromException<DatagramReceiveResult>(ClosedError());
        }

        if (IsForeignThread)
        {
            return new ValueTask<DatagramReceiveResult>(Loop.InvokeAsync(static s => s.Item1.ReceiveFromAsync(s.buffer, s.cancellationToken), (this, buffer, cancellationToken)));
        }

        if (_receive.IsBusy)
        {
            return ValueTask.FromException<DatagramReceiveResult>(BusyResourceException.For("receiving"));
        }

        return _receive.Run(buffer, cancellationToken);
    }

    public ValueTask SendToAsync(ReadOnlyMemory<byte> datagram, EndPoint? remoteEndPoint = null, CancellationToken cancellationToken = default)
    {
        if (IsClosed)
        {
            return ValueTask.FromException(ClosedError());
        }

        if (remoteEndPoint is null && RemoteEndPoint is null)
        {
            return ValueTask.FromException(new InvalidOperationException("This datagram socket is not connected: give the address to send to."));
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (IsForeignThread)
        {
            return new ValueTask(Loop.InvokeAsync(static s => s.Item1.SendToAsync(s.datagram, s.remoteEndPoint, s.cancellationToken), (this, datagram, remoteEndPoint, cancellationToken)));
        }

        if (_send.IsBusy)
        {
            return ValueTask.FromException(BusyResourceException.For("sending"));
        }

        return _send.Run(datagram, remoteEndPoint, cancellationToken);
    }

    public ValueTask DisposeAsync() => CloseAsync();

    protected override void OnClosed()
    {
        if (_unixPath is not null)
        {
            _ = Libc.Unlink(_unixPath);
        }
    }

    private sealed class ReceiveFromOperation : LoopOperation<DatagramReceiveResult>
    {
        // The sender's raw address and its decoded form from the previous datagram: a conversation with one peer
        // decodes (and allocates) its endpoint once.
        private readonly byte[] _address = new byte[SockAddr.MaxSize];
        private readonly byte[] _lastAddress = new byte[SockAddr.MaxSize];
        private int _lastLength = -1;
        private EndPoint? _lastEndPoint;
        private Memory<byte> _buffer;

        public ReceiveFromOperation(DatagramSocket socket) : base(socket, isReader: true) { }

        public ValueTask<DatagramReceiveResult> Run(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            _buffer = buffer;
            return Start(cancellationToken);
        }

        protected override bool TryExecute(out DatagramReceiveResult result, out Exception? error)
        {
            result = default;
            error = null;
            Span<byte> span = _buffer.Span;
            while (true)
            {
                nint received;
                int length = SockAddr.MaxSize;
                fixed (byte* p = span)
                fixed (byte* address = _address)
                {
                    byte dummy;
                    received = Libc.RecvFrom(Socket.Fd, span.IsEmpty ? &dummy : p, (nuint)span.Length, 0, address, &length);
                }

                if (received >= 0)
                {
                    _buffer = default;
                    result = new DatagramReceiveResult((int)received, Sender(length));
                    return true;
                }

                int errno = Libc.LastErrno;
                if (errno == Libc.EINTR)
                {
                    continue;
                }

                if (errno == Libc.EAGAIN)
                {
                    return false;
                }

                _buffer = default;
                error = SocketErrors.Broken(errno, "recvfrom");
                return true;
            }
        }

        private EndPoint Sender(int length)
        {
            ReadOnlySpan<byte> raw = _address.AsSpan(0, Math.Min(length, SockAddr.MaxSize));
            if (_lastEndPoint is not null && length == _lastLength && raw.SequenceEqual(_lastAddress.AsSpan(0, raw.Length)))
            {
                return _lastEndPoint;
            }

            _lastEndPoint = SockAddr.Decode(_address, length);
            _lastLength = length;
            raw.CopyTo(_lastAddress);
            return _lastEndPoint;
        }
    }

    private sealed class SendToOperation : LoopOperation<int>
    {
        private readonly byte[] _address = new byte[SockAddr.MaxSize];
        private int _addressLength;
        private ReadOnlyMemory<byte> _datagram;

        public SendToOperation(DatagramSocket socket) : base(socket, isReader: false) { }

        public ValueTask Run(ReadOnlyMemory<byte> datagram, EndPoint? remoteEndPoint, CancellationToken cancellationToken)
        {
            if (remoteEndPoint is null)
            {
                _addressLength = 0;
            }
            else
            {
                try
                {
                    _addressLength = SockAddr.Encode(remoteEndPoint, _address);
                }
                catch (ArgumentException error)
                {
                    return ValueTask.FromException(error);
                }
            }

            _datagram = datagram;
            return StartVoid(cancellationToken);
        }

        protected override bool TryExecute(out int result, out Exception? error)
        {
            result = 0;
            error = null;
            ReadOnlySpan<byte> span = _datagram.Span;
            while (true)
            {
                nint sent;
                fixed (byte* p = span)
                fixed (byte* address = _address)
                {
                    byte dummy;
                    byte* data = span.IsEmpty ? &dummy : p;
                    sent = _addressLength == 0
                        ? Libc.Send(Socket.Fd, data, (nuint)span.Length, Libc.MSG_NOSIGNAL | Libc.MSG_DONTWAIT)
                        : Libc.SendTo(Socket.Fd, data, (nuint)span.Length, Libc.MSG_NOSIGNAL | Libc.MSG_DONTWAIT, address, _addressLength);
                }

                if (sent >= 0)
                {
                    _datagram = default;
                    return true;
                }

                int errno = Libc.LastErrno;
                if (errno == Libc.EINTR)
                {
                    continue;
                }

                if (errno == Libc.EAGAIN)
                {
                    return false;
                }

                _datagram = default;
                error = SocketErrors.Broken(errno, "sendto");
                return true;
            }
        }
    }
}
