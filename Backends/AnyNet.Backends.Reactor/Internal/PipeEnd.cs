using AnyNet.Backends.Reactor.Interop;

namespace AnyNet.Backends.Reactor.Internal;

/// <summary>
/// This process's end of a child's stdio pipe: a non-blocking descriptor in the loop's epoll, driven by read(2) or
/// write(2) (recv/send would fail with ENOTSOCK on a pipe). Disposing the write end is how the child sees end of file.
/// </summary>
internal sealed unsafe class PipeEnd : ReactorSocket, IByteReceiveStream, IByteSendStream
{
    private readonly string _name;
    private readonly ReadOperation? _read;
    private readonly WriteOperation? _write;

    public PipeEnd(EventLoop loop, SafeFd handle, bool isReader, string name)
        : base(loop, handle, isReader ? Libc.EPOLLIN : Libc.EPOLLOUT)
    {
        _name = name;
        if (isReader)
        {
            _read = new ReadOperation(this);
        }
        else
        {
            _write = new WriteOperation(this);
        }
    }

    protected override string Kind => _name + " pipe";

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

        if (_read!.IsBusy)
        {
            return ValueTask.FromException<int>(BusyResourceException.For("receiving"));
        }

        return _read.Run(buffer, cancellationToken);
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

        if (_write!.IsBusy)
        {
            return ValueTask.FromException(BusyResourceException.For("sending"));
        }

        return data.IsEmpty ? ValueTask.CompletedTask : _write.Run(data, cancellationToken);
    }

    public ValueTask DisposeAsync() => CloseAsync();

    private sealed class ReadOperation : LoopOperation<int>
    {
        private Memory<byte> _buffer;

        public ReadOperation(PipeEnd pipe) : base(pipe, isReader: true) { }

        public ValueTask<int> Run(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            _buffer = buffer;
            return Start(cancellationToken);
        }

        protected override bool TryExecute(out int result, out Exception? error)
        {
            result = 0;
            error = null;
            Span<byte> span = _buffer.Span;
            while (true)
            {
                nint read;
                if (span.IsEmpty)
                {
                    // A zero-length receive waits for readability without consuming: a pipe cannot be peeked, so ask poll(2).
                    var poll = new Libc.PollFd { Fd = Socket.Fd, Events = Libc.POLLIN };
                    read = Libc.Poll(&poll, 1, 0);
                    if (read == 0)
                    {
                        return false;
                    }
                }
                else
                {
                    fixed (byte* p = span)
                    {
                        read = Libc.Read(Socket.Fd, p, (nuint)span.Length);
                    }
                }

                if (read >= 0)
                {
                    result = span.IsEmpty ? 0 : (int)read;
                    _buffer = default;
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
                error = SocketErrors.Broken(errno, "read");
                return true;
            }
        }
    }

    private sealed class WriteOperation : LoopOperation<int>
    {
        private ReadOnlyMemory<byte> _remaining;

        public WriteOperation(PipeEnd pipe) : base(pipe, isReader: false) { }

        public ValueTask Run(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            _remaining = data;
            return StartVoid(cancellationToken);
        }

        protected override bool TryExecute(out int result, out Exception? error)
        {
            result = 0;
            error = null;
            while (!_remaining.IsEmpty)
            {
                ReadOnlySpan<byte> span = _remaining.Span;
                nint written;
                fixed (byte* p = span)
                {
                    // The runtime ignores SIGPIPE process-wide, so a closed reader is EPIPE here, not a signal.
                    written = Libc.Write(Socket.Fd, p, (nuint)span.Length);
                }

                if (written >= 0)
                {
                    _remaining = _remaining[(int)written..];
                    continue;
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

                _remaining = default;
                error = SocketErrors.Broken(errno, "write");
                return true;
            }

            return true;
        }
    }
}
