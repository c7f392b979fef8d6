using System.Diagnostics.CodeAnalysis;
using System.Net;
using AnyNet.Backends.Reactor.Interop;

namespace AnyNet.Backends.Reactor.Internal;

/// <summary>
/// A listening TCP or Unix socket driven by accept4 on the loop. On a backend with several loops this one socket is
/// the only acceptor, and each accepted connection is handed to the next loop in turn (round robin): see
/// <see cref="ReactorBackendOptions.Loops"/> for why not one SO_REUSEPORT listener per loop.
/// </summary>
internal sealed unsafe class ListenerSocket : ReactorSocket, ISocketListener
{
    // EMFILE/ENFILE (and ENOBUFS/ENOMEM) mean the process or the system is out of a resource: the pending connection
    // stays queued and no new edge will come for it, so the listener polls again after a pause instead of failing.
    private static readonly TimeSpan s_resourceBackoff = TimeSpan.FromMilliseconds(100);

    private readonly AcceptOperation _accept;
    private readonly string? _unixPath;
    private readonly bool _isTcp;
    private readonly LoopSet? _spread;

    public ListenerSocket(EventLoop loop, SafeFd handle, EndPoint localEndPoint, bool isTcp, string? unixPath, LoopSet? spread = null)
        : base(loop, handle, Libc.EPOLLIN)
    {
        _isTcp = isTcp;
        _spread = spread is { Count: > 1 } ? spread : null;
        _unixPath = unixPath;
        _accept = new AcceptOperation(this);
        LocalEndPoint = localEndPoint;
    }

    public EndPoint LocalEndPoint { get; }

    public bool TryGetAttribute<T>(TypedAttribute<T> attribute, [MaybeNullWhen(false)] out T value) =>
        TryGetLoopContext(attribute, out value) || SocketAttributes.TryGet(attribute, this, RawHandleOrThrow(), LocalEndPoint, null, out value);

    public void SetOption(int level, int name, ReadOnlySpan<byte> value) => SetOptionCore(level, name, value);

    public int GetOption(int level, int name, Span<byte> value) => GetOptionCore(level, name, value);

    protected override string Kind => "listener";

    public ValueTask<ISocketStream> AcceptAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<ISocketStream>(cancellationToken);
        }

        if (IsClosed)
        {
            return ValueTask.FromException<ISocketStream>(ClosedError());
        }

        if (IsForeignThread)
        {
            return new ValueTask<ISocketStream>(Loop.InvokeAsync(static s => s.Item1.AcceptAsync(s.cancellationToken), (this, cancellationToken)));
        }

        if (_accept.IsBusy)
        {
            return ValueTask.FromException<ISocketStream>(BusyResourceException.For("accepting"));
        }

        return _accept.Run(cancellationToken);
    }

    public ValueTask DisposeAsync() => CloseAsync();

    protected override void OnClosed()
    {
        _accept.DisposeBackoff();
        _accept.Reserve.Dispose();
        if (_unixPath is not null)
        {
            _ = Libc.Unlink(_unixPath);
        }
    }

    private sealed class AcceptOperation : LoopOperation<ISocketStream>
    {
        private readonly ListenerSocket _listener;
        private ITimer? _backoff;
        // An episode of descriptor exhaustion ends only after a second without EMFILE, so that a server hovering at the
    // limit logs one warning, not one per connection that got through.
    private const long BackoffEpisodeQuietMs = 1000;
    private int _backoffs;
    private long _lastBackoff;

        public AcceptOperation(ListenerSocket listener) : base(listener, isReader: true) => _listener = listener;

        public ValueTask<ISocketStream> Run(CancellationToken cancellationToken) => Start(cancellationToken);

        /// <summary>The spare descriptor given up to shed a connection when the process is out of them.</summary>
        public ReserveDescriptor Reserve { get; } = new();

        public void DisposeBackoff()
        {
            _backoff?.Dispose();
            _backoff = null;
        }

        protected override bool TryExecute(out ISocketStream result, out Exception? error)
        {
            result = null!;
            error = null;
            byte* address = stackalloc byte[SockAddr.MaxSize];
            while (true)
            {
                int length = SockAddr.MaxSize;
                int fd = Libc.Accept4(Socket.Fd, address, &length, Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC);
                if (fd >= 0)
                {
                    if (_backoffs > 0 && Environment.TickCount64 - _lastBackoff >= BackoffEpisodeQuietMs)
                    {
                        BackendEventSource.Log.AcceptRecovered("reactor", _listener.LocalEndPoint.ToString() ?? string.Empty, _backoffs);
                        _backoffs = 0;
                        Reserve.Restore();
                    }

                    try
                    {
                        result = _listener.Adopt(new SafeFd(fd));
                    }
                    catch (ObjectDisposedException stopping)
                    {
                        error = stopping;
                    }

                    return true;
                }

                int errno = Libc.LastErrno;
                switch (errno)
                {
                    case Libc.EINTR:
                    case Libc.ECONNABORTED:
                    case Libc.EPROTO:
                        // The connection died in the queue: it is not this listener's failure; take the next one.
                        continue;
                    case Libc.EAGAIN:
                        return false;
                    case Libc.EMFILE:
                    case Libc.ENFILE:
                    case Libc.ENOBUFS:
                    case Libc.ENOMEM:
                        if (errno is Libc.EMFILE or Libc.ENFILE)
                        {
                            // Give up the spare descriptor to take the connection at the head of the backlog and close
                            // it: its client learns at once instead of hanging, and the queue cannot fill with dead ones.
                            int socketFd = Socket.Fd;
                            _ = Reserve.ShedWith(() =>
                            {
                                int length = SockAddr.MaxSize;
                                byte* shedAddress = stackalloc byte[SockAddr.MaxSize];
                                int shed = Libc.Accept4(socketFd, shedAddress, &length, Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC);
                                if (shed >= 0)
                                {
                                    _ = Libc.Close(shed);
                                }
                            });
                        }

                        // Then wait: retrying at once would spin while nothing frees a descriptor.
                        _backoff ??= Socket.Loop.TimeProvider.CreateTimer(static s => ((AcceptOperation)s!).OnReady(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                        _backoff.Change(s_resourceBackoff, Timeout.InfiniteTimeSpan);
                        _lastBackoff = Environment.TickCount64;
                        if (_backoffs++ == 0)
                        {
                            // Once per episode, not once per attempt; AcceptRecovered ends the episode.
                            BackendEventSource.Log.AcceptBackoff("reactor", _listener.LocalEndPoint.ToString() ?? string.Empty, errno, (int)s_resourceBackoff.TotalMilliseconds);
                        }

                        return false;
                    default:
                        error = SocketErrors.Exception(errno, "accept", _listener.LocalEndPoint);
                        return true;
                }
            }
        }
    }

    private StreamSocket Adopt(SafeFd handle)
    {
        StreamSocket stream;
        try
        {
            if (_isTcp)
            {
                // Small writes go out at once: AnyNet streams are message-oriented more often than bulk.
                _ = Libc.SetIntOption(handle.Fd, Libc.IPPROTO_TCP, Libc.TCP_NODELAY, 1);
            }

            // The new socket is not in any epoll set yet (it registers on its first wait, on its own loop's thread), so
            // handing it to another loop is only a matter of which loop owns it.
            stream = new StreamSocket(_spread?.Next() ?? Loop, handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        stream.CaptureEndPoints(LocalEndPoint);
        return stream;
    }
}
