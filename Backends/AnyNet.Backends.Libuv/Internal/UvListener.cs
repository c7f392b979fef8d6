using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using AnyNet.Backends.Libuv.Interop;

namespace AnyNet.Backends.Libuv.Internal;

/// <summary>
/// A listening TCP or Unix socket (uv_listen). libuv accepts one connection ahead and then stops watching the socket
/// until uv_accept takes it, so a connection is taken only when an accept is waiting: a cancelled accept accepts
/// nothing, and unaccepted connections wait in the kernel backlog. Accept errors (EMFILE, ECONNABORTED...) are
/// handled by libuv, which keeps listening; they never end the listener.
/// </summary>
internal sealed unsafe partial class UvListener : UvHandle, ISocketListener
{
    private static readonly Action<object?> s_acceptCancelled = static state =>
        ((UvListener)state!).Loop.Post(static s => ((UvListener)s!).CancelAccept(), state);

    private readonly bool _isPipe;
    private readonly LoopOperation<ISocketStream> _accept;
    // The backend's loops when there are several: each accepted connection goes to the next one in turn.
    private LoopSet? _spread;
    private bool _acceptPending;
    private bool _connectionReady;
    private int _backlog;
    private int _lastError;
    // An episode of descriptor exhaustion ends only after a second without EMFILE, so that a server hovering at the
    // limit logs one warning, not one per connection that got through.
    private const long BackoffEpisodeQuietMs = 1000;
    private int _backoffs;
    private long _lastBackoff;
    private CancellationToken _acceptToken;
    private CancellationTokenRegistration _acceptRegistration;

    private UvListener(LibuvLoop loop, bool isPipe, AddressFamily family)
        : base(loop, isPipe ? Uv.HandleType.NamedPipe : Uv.HandleType.Tcp)
    {
        _isPipe = isPipe;
        _accept = new LoopOperation<ISocketStream>(loop);
        int status = isPipe
            ? Uv.uv_pipe_init(loop.Native, Handle, 0)
            : Uv.uv_tcp_init_ex(loop.Native, Handle, family == AddressFamily.InterNetworkV6 ? 10u : 2u);
        CompleteInit(status, isPipe ? "uv_pipe_init" : "uv_tcp_init");
    }

    public EndPoint LocalEndPoint { get; private set; } = null!;

    public bool TryGetAttribute<T>(TypedAttribute<T> attribute, [MaybeNullWhen(false)] out T value)
    {
        if (TryGetLoopContext(attribute, out value))
        {
            return true;
        }

        lock (DescriptorGate)
        {
            return SocketAttributes.TryGet(attribute, this, Descriptor(), LocalEndPoint, null, out value);
        }
    }

    /// <summary>
    /// Makes the listener hand each accepted connection to the next of <paramref name="loops"/> in turn (set once, right
    /// after listening, before any accept). One listening socket and round robin, not one SO_REUSEPORT listener per
    /// loop: see <see cref="LibuvBackendOptions.Loops"/>.
    /// </summary>
    public UvListener SpreadOver(LoopSet loops)
    {
        _spread = loops.Count > 1 ? loops : null;
        return this;
    }

    // Under the descriptor gate: an option call from another thread cannot race the loop closing the descriptor.
    public void SetOption(int level, int name, ReadOnlySpan<byte> value)
    {
        lock (DescriptorGate)
        {
            SocketAttributes.SetOption(Descriptor(), level, name, value);
        }
    }

    public int GetOption(int level, int name, Span<byte> value)
    {
        lock (DescriptorGate)
        {
            return SocketAttributes.GetOption(Descriptor(), level, name, value);
        }
    }

    private int Descriptor()
    {
        int fd;
        return IsClosed || Handle == IntPtr.Zero || Uv.uv_fileno(Handle, &fd) != 0 ? throw new ClosedResourceException("This listener was closed.") : fd;
    }

    /// <summary>The last accept error libuv reported (negated errno), for diagnostics; 0 if none.</summary>
    public int LastAcceptError => _lastError;

    public static UvListener ListenTcp(LibuvLoop loop, IPEndPoint endPoint, ListenOptions options)
    {
        loop.ThrowIfStopping();
        var listener = new UvListener(loop, isPipe: false, endPoint.AddressFamily);
        try
        {
            if (options.ReusePort)
            {
                int fd;
                int status = Uv.uv_fileno(listener.Handle, &fd);
                int one = 1;
                if (status < 0 || Libc.setsockopt(fd, Libc.SOL_SOCKET, Libc.SO_REUSEPORT, &one, sizeof(int)) != 0)
                {
                    throw UvErrors.Exception(status < 0 ? status : -Marshal.GetLastPInvokeError(), "setsockopt(SO_REUSEPORT)", endPoint);
                }
            }

            if (options.KeepAlive is { } keepAlive)
            {
                // uv_tcp_keepalive sets only SO_KEEPALIVE and TCP_KEEPIDLE, and only on a socket that exists: set all
                // four on the listening descriptor, which Linux copies to every socket it accepts (tcp(7)).
                int fd;
                int status = Uv.uv_fileno(listener.Handle, &fd);
                if (status < 0)
                {
                    throw UvErrors.Exception(status, "uv_fileno", endPoint);
                }

                SetOption(fd, Libc.SOL_SOCKET, Libc.SO_KEEPALIVE, 1, "setsockopt(SO_KEEPALIVE)", endPoint);
                SetOption(fd, Libc.IPPROTO_TCP, Libc.TCP_KEEPIDLE, keepAlive.IdleSeconds, "setsockopt(TCP_KEEPIDLE)", endPoint);
                SetOption(fd, Libc.IPPROTO_TCP, Libc.TCP_KEEPINTVL, keepAlive.IntervalSeconds, "setsockopt(TCP_KEEPINTVL)", endPoint);
                SetOption(fd, Libc.IPPROTO_TCP, Libc.TCP_KEEPCNT, keepAlive.ProbeCount, "setsockopt(TCP_KEEPCNT)", endPoint);
            }

            byte* address = stackalloc byte[SockAddr.StorageSize];
            _ = SockAddr.Write(endPoint, new Span<byte>(address, SockAddr.StorageSize));
            int bind = Uv.uv_tcp_bind(listener.Handle, address, 0);
            if (bind < 0)
            {
                throw UvErrors.Exception(bind, "bind", endPoint);
            }

            // libuv reports EADDRINUSE from bind(2) here, at listen.
            int listen = Uv.uv_listen(listener.Handle, options.Backlog, &OnConnection);
            if (listen < 0)
            {
                throw UvErrors.Exception(listen, listen == -98 ? "bind" : "listen", endPoint);
            }

            listener._backlog = options.Backlog;

            byte* storage = stackalloc byte[SockAddr.StorageSize];
            int length = SockAddr.StorageSize;
            int nameStatus = Uv.uv_tcp_getsockname(listener.Handle, storage, &length);
            listener.LocalEndPoint = nameStatus < 0 ? endPoint : SockAddr.Read(new ReadOnlySpan<byte>(storage, length)) ?? endPoint;
            return listener;
        }
        catch
        {
            listener.Close();
            throw;
        }
    }

    private static void SetOption(int fd, int level, int name, int value, string operation, EndPoint endPoint)
    {
        int v = value;
        if (Libc.setsockopt(fd, level, name, &v, sizeof(int)) != 0)
        {
            throw UvErrors.Exception(-Marshal.GetLastPInvokeError(), operation, endPoint);
        }
    }

    public static UvListener ListenUnix(LibuvLoop loop, string path, ListenOptions options)
    {
        loop.ThrowIfStopping();
        byte[] name = UnixEndPoints.EncodePath(path);
        var endPoint = new UnixDomainSocketEndPoint(path);

        // bind(2) would fail with EADDRINUSE anyway; checking first names the path and never touches a file that
        // is not ours.
        if (File.Exists(path) || Directory.Exists(path))
        {
            throw new SocketException((int)SocketError.AddressAlreadyInUse, $"bind ({endPoint}) failed: the path '{path}' already exists");
        }

        SocketErrors.ThrowIfUnixDirectoryMissing(path);

        var listener = new UvListener(loop, isPipe: true, AddressFamily.Unix);
        try
        {
            int bind;
            fixed (byte* namePointer = name)
            {
                bind = Uv.uv_pipe_bind(listener.Handle, namePointer);
            }

            if (bind < 0)
            {
                throw UvErrors.Exception(bind, "bind", endPoint);
            }

            int listen = Uv.uv_listen(listener.Handle, options.Backlog, &OnConnection);
            if (listen < 0)
            {
                throw UvErrors.Exception(listen, "listen", endPoint);
            }

            listener._backlog = options.Backlog;

            listener.LocalEndPoint = endPoint;
            return listener;
        }
        catch
        {
            // uv_close unlinks the path only if this handle bound it.
            listener.Close();
            throw;
        }
    }

    public ValueTask<ISocketStream> AcceptAsync(CancellationToken cancellationToken = default) =>
        _spread is null ? AcceptHereAsync(cancellationToken) : AcceptAndHandOffAsync(_spread, cancellationToken);

    private ValueTask<ISocketStream> AcceptHereAsync(CancellationToken cancellationToken)
    {
        if (!Loop.IsLoopThread)
        {
            return Loop.InvokeAsync(static s => s.Self.AcceptHereAsync(s.Token), (Self: this, Token: cancellationToken));
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<ISocketStream>(cancellationToken);
        }

        if (IsClosed)
        {
            return ValueTask.FromException<ISocketStream>(UvErrors.Closed("listener"));
        }

        if (_accept.InUse)
        {
            return ValueTask.FromException<ISocketStream>(BusyResourceException.For("accepting"));
        }

        if (_connectionReady && TryAccept() is { } ready)
        {
            return new ValueTask<ISocketStream>(ready);
        }

        if (!_connectionReady && TryAcceptQueued() is { } queued)
        {
            // Finished at once: counts against the cooperative budget, like the reactor's accept4 loop.
            return _accept.TryCompleteAtOnce() ? new ValueTask<ISocketStream>(queued) : _accept.AsValueTaskOfT(_accept.Defer(queued));
        }

        short version = _accept.Start();
        _acceptPending = true;
        _acceptToken = cancellationToken;
        if (cancellationToken.CanBeCanceled)
        {
            _acceptRegistration = cancellationToken.UnsafeRegister(s_acceptCancelled, this);
        }

        return _accept.AsValueTaskOfT(version);
    }

    /// <summary>Takes the connection libuv holds; null if it vanished (the error is recorded, listening goes on).</summary>
    private UvStream? TryAccept()
    {
        _connectionReady = false;
        UvStream stream = UvStream.CreateForAccept(Loop, _isPipe);
        int status = Uv.uv_accept(Handle, stream.Handle);
        if (status < 0)
        {
            // The accepted descriptor is gone, and libuv 1.x stops watching the listening socket after a failed
            // uv_accept: listening again resumes it, so one bad connection does not end the listener.
            _lastError = status;
            stream.Close();
            _ = Uv.uv_listen(Handle, _backlog, &OnConnection);
            return null;
        }

        stream.Established(LocalEndPoint);
        return stream;
    }

    /// <summary>
    /// Takes the next connection straight from the kernel's accept queue (accept4 on the listening descriptor, which
    /// libuv watches but does not hold a connection of: <see cref="_connectionReady"/> is false); null when the queue is
    /// empty or the accept failed (then the accept waits for libuv, which reports and handles the failure itself).
    /// </summary>
    /// <remarks>
    /// Without this, libuv hands over one connection per poll: it accepts one ahead, stops watching the socket until
    /// uv_accept takes it, and watches again only from the next poll. A loop whose iterations are long (every request
    /// of a busy ASP.NET Core server run inline on it) then accepted about two connections per iteration, and a burst
    /// of connections waited in the kernel's accept queue (wrk at 1,000 connections: about 390 still queued 1.3 s after
    /// it started, and a p99 of 0.4-1.2 s made of the first requests of those connections). libuv's own
    /// uv__server_io accepts in a loop until EAGAIN, for a callback that accepts at once (Node.js does); this does the
    /// same for an AcceptAsync loop, up to the cooperative budget, as the reactor backend does.
    /// </remarks>
    private UvStream? TryAcceptQueued()
    {
        int listening;
        if (Uv.uv_fileno(Handle, &listening) != 0)
        {
            return null;
        }

        while (true)
        {
            int fd = Libc.accept4(listening, null, null, Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC);
            if (fd >= 0)
            {
                try
                {
                    return UvStream.Adopt(Loop, fd, _isPipe, LocalEndPoint);
                }
                catch (Exception error) when (error is SocketException or ObjectDisposedException)
                {
                    // uv_tcp_open failed, or the loop is stopping: Adopt closed the descriptor. This connection is lost,
                    // the listener is not.
                    return null;
                }
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno is not (Libc.EINTR or Libc.ECONNABORTED or Libc.EPROTO))
            {
                // EAGAIN: the queue is empty. EMFILE and the like: libuv meets them on the next poll and applies its
                // own remedy (it sheds the connection), so the accept simply waits.
                return null;
            }
        }
    }

    [UnmanagedCallersOnly]
    private static void OnConnection(IntPtr server, int status)
    {
        try
        {
            FromHandle<UvListener>(server).OnConnection(status);
        }
        catch (Exception e)
        {
            // Contained, not rethrown into libuv; the listener stays open (one failed accept must not end a server) and
            // the waiting accept goes on waiting for the next connection.
            LibuvLoop.ReportCallbackFailure(e);
        }
    }

    private void OnConnection(int status)
    {
        if (status < 0)
        {
            // EMFILE/ENFILE/ECONNABORTED...: libuv keeps listening (and sheds the connection for EMFILE); the waiting
            // accept simply goes on waiting.
            _lastError = status;
            if (status is -24 or -23)
            {
                _lastBackoff = Environment.TickCount64;
            }

            if (status is -24 or -23 && _backoffs++ == 0)
            {
                // Once per episode, not per callback; the next accepted connection ends the episode. libuv waits for
                // the next connection itself (no timer: it does not spin).
                BackendEventSource.Log.AcceptBackoff("libuv", LocalEndPoint?.ToString() ?? string.Empty, -status, 0);
            }

            return;
        }

        if (_backoffs > 0 && Environment.TickCount64 - _lastBackoff >= BackoffEpisodeQuietMs)
        {
            BackendEventSource.Log.AcceptRecovered("libuv", LocalEndPoint?.ToString() ?? string.Empty, _backoffs);
            _backoffs = 0;
        }

        _connectionReady = true;
        if (_acceptPending && TryAccept() is { } stream)
        {
            FinishAccept(null, stream);
        }
    }

    private void CancelAccept()
    {
        if (_acceptPending && _acceptToken.IsCancellationRequested)
        {
            FinishAccept(new OperationCanceledException(_acceptToken), null);
        }
    }

    private void FinishAccept(Exception? error, ISocketStream? stream)
    {
        _acceptPending = false;
        _ = _acceptRegistration.Unregister();
        _acceptRegistration = default;
        _acceptToken = default;
        if (error is null)
        {
            _accept.SetResult(stream!);
        }
        else
        {
            _accept.SetException(error);
        }
    }

    protected override void OnClosing()
    {
        if (_acceptPending)
        {
            FinishAccept(UvErrors.Closed("listener"), null);
        }
    }
}
