using System.Diagnostics.CodeAnalysis;
using System.Net;
using AnyNet.Backends.Reactor.Interop;

namespace AnyNet.Backends.Reactor.Internal;

/// <summary>
/// A non-blocking socket owned by the loop: its descriptor, its epoll registration, and the operation (if any)
/// waiting to read and the one waiting to write.
/// </summary>
internal abstract unsafe class ReactorSocket
{
    private readonly SafeFd _handle;
    private readonly uint _interest;
    private readonly bool _trackedOnLoop;
    private volatile bool _closed;

    protected ReactorSocket(EventLoop loop, SafeFd handle, uint interest)
    {
        Loop = loop;
        _handle = handle;
        Fd = handle.Fd;
        _interest = interest | Libc.EPOLLET;
        _trackedOnLoop = loop.Track(this);
    }

    public EventLoop Loop { get; }

    public int Fd { get; }

    /// <summary>The epoll registration slot, -1 until the first wait (loop thread only).</summary>
    public int RegistrationSlot { get; set; } = -1;

    /// <summary>The operation waiting for readability (loop thread only).</summary>
    public LoopOperation? Reader { get; set; }

    /// <summary>The operation waiting for writability (loop thread only).</summary>
    public LoopOperation? Writer { get; set; }

    public bool IsClosed => _closed;

    /// <summary>
    /// False once a receive has seen the socket drained (EAGAIN, or a short read where that proves it, see
    /// <see cref="StreamSocket"/>); true again with the next readiness edge from epoll. While false, a receive waits for
    /// epoll at once instead of trying a recv(2) that would only say EAGAIN (loop thread only).
    /// </summary>
    public bool MayBeReadable { get; set; } = true;

    /// <summary>
    /// True once epoll reported the peer's end (EPOLLRDHUP, EPOLLHUP or EPOLLERR; loop thread only). From then on a short
    /// read no longer proves the socket drained: the FIN sits behind the data, recv(2) returns 0 only on the next call,
    /// and with edge triggering its edge may already have been delivered, so no later event would wake a waiting receive.
    /// </summary>
    public bool PeerEndSeen { get; private set; }

    /// <summary>
    /// Registers with epoll on the first operation that has to wait: one epoll_ctl for the socket's lifetime, with
    /// every interest at once and edge-triggered, so later waits cost no syscall. Adding reports readiness that is
    /// already there, so nothing that arrived since the EAGAIN is missed.
    /// </summary>
    public int EnsureRegistered() => RegistrationSlot >= 0 ? 0 : Loop.Register(this, _interest);

    public void OnEvents(uint events)
    {
        if ((events & (Libc.EPOLLIN | Libc.EPOLLRDHUP | Libc.EPOLLHUP | Libc.EPOLLERR)) != 0)
        {
            MayBeReadable = true;
            PeerEndSeen |= (events & (Libc.EPOLLRDHUP | Libc.EPOLLHUP | Libc.EPOLLERR)) != 0;
            Reader?.OnReady();
        }

        if ((events & (Libc.EPOLLOUT | Libc.EPOLLHUP | Libc.EPOLLERR)) != 0)
        {
            Writer?.OnReady();
        }
    }

    /// <summary>Closes on the loop thread: out of epoll first, then the descriptor, then waiters woken with <see cref="ClosedResourceException"/>.</summary>
    public void CloseOnLoop()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        LoopOperation? reader = Reader;
        LoopOperation? writer = Writer;
        Loop.Unregister(this);
        _handle.Dispose();
        Loop.Untrack(this, _trackedOnLoop);
        OnClosed();
        reader?.Abort(new ClosedResourceException($"This {Kind} was closed while the operation was waiting."));
        writer?.Abort(new ClosedResourceException($"This {Kind} was closed while the operation was waiting."));
    }

    /// <summary>Closes from any thread.</summary>
    public ValueTask CloseAsync()
    {
        if (_closed)
        {
            return ValueTask.CompletedTask;
        }

        if (Loop.IsOnLoopThread)
        {
            CloseOnLoop();
            return ValueTask.CompletedTask;
        }

        if (Loop.IsStopped)
        {
            // The loop closed every socket on its way out.
            return ValueTask.CompletedTask;
        }

        return new ValueTask(Loop.InvokeAsync(static s =>
        {
            s.CloseOnLoop();
            return ValueTask.CompletedTask;
        }, this));
    }

    /// <summary>"stream", "listener", "datagram socket": for messages.</summary>
    protected abstract string Kind { get; }

    /// <summary>Runs after the descriptor is closed (a listener removes its socket file).</summary>
    protected virtual void OnClosed()
    {
    }

    protected ClosedResourceException ClosedError() => new($"This {Kind} was closed.");

    /// <summary>True when the caller must take the slow path through the loop (another thread, or the loop is gone).</summary>
    protected bool IsForeignThread => !Loop.IsOnLoopThread;

    /// <summary>
    /// setsockopt(2) from any thread. The SafeFd is referenced for the call, so a concurrent close cannot free the
    /// descriptor number (and let a new socket reuse it) in the middle.
    /// </summary>
    public void SetOptionCore(int level, int name, ReadOnlySpan<byte> value)
    {
        bool added = AddRefOrThrow();
        try
        {
            SocketAttributes.SetOption(Fd, level, name, value);
        }
        finally
        {
            Release(added);
        }
    }

    /// <summary>getsockopt(2) from any thread, under a reference to the SafeFd (see <see cref="SetOptionCore"/>).</summary>
    public int GetOptionCore(int level, int name, Span<byte> value)
    {
        bool added = AddRefOrThrow();
        try
        {
            return SocketAttributes.GetOption(Fd, level, name, value);
        }
        finally
        {
            Release(added);
        }
    }

    /// <summary>The descriptor, for <see cref="TypedAttributes.RawHandle"/>; a closed socket has none.</summary>
    public nint RawHandleOrThrow() => _closed ? throw ClosedError() : Fd;

    private bool AddRefOrThrow()
    {
        bool added = false;
        if (!_closed)
        {
            try
            {
                _handle.DangerousAddRef(ref added);
            }
            catch (ObjectDisposedException)
            {
            }
        }

        return added ? true : throw ClosedError();
    }

    private void Release(bool added)
    {
        if (added)
        {
            _handle.DangerousRelease();
        }
    }

    /// <summary>Answers <see cref="TypedAttributes.LoopContext"/>: the context of the loop that owns this socket.</summary>
    protected bool TryGetLoopContext<T>(TypedAttribute<T> attribute, [MaybeNullWhen(false)] out T value)
    {
        if (ReferenceEquals(attribute, TypedAttributes.LoopContext))
        {
            value = (T)(object)Loop.Context;
            return true;
        }

        value = default;
        return false;
    }

    public EndPoint? GetLocalEndPoint() => Sys.LocalEndPoint(Fd);

    public EndPoint? GetRemoteEndPoint() => Sys.RemoteEndPoint(Fd);
}
