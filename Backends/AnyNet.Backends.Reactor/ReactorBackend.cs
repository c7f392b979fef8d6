using System.Net;
using System.Net.Sockets;
using AnyNet.Backends.Reactor.Internal;
using AnyNet.Backends.Reactor.Interop;
using AnyNet.Testing;

namespace AnyNet.Backends.Reactor;

/// <summary>
/// AnyNet's own event loop: one thread waiting in epoll_wait (or several, <see cref="ReactorBackendOptions.Loops"/>),
/// non-blocking sockets driven by direct libc calls, a timer heap for the clock, and a
/// <see cref="SynchronizationContext"/> that brings every continuation of user code back to its loop thread. With one
/// loop (the default), user code between two awaits never runs concurrently with other user code. Linux only.
/// </summary>
public sealed class ReactorBackend : IAsyncBackend
{
    private readonly BackendLifetime _lifetime = new("reactor");
    private readonly LoopSet _loops;
    private int _disposed;

    /// <summary>Creates the backend and starts its loop thread.</summary>
    /// <exception cref="PlatformNotSupportedException">The OS is not Linux.</exception>
    public ReactorBackend() : this(null) { }

    /// <summary>Creates the backend with <paramref name="options"/> and starts its loop thread.</summary>
    /// <exception cref="PlatformNotSupportedException">The OS is not Linux.</exception>
    public ReactorBackend(ReactorBackendOptions? options)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException(
                "The 'reactor' backend is built on Linux epoll(7) and eventfd(2) and runs only on Linux; use the 'tasks' backend on this OS.");
        }

        options ??= new ReactorBackendOptions();
        options.Validate();
        int count = options.EffectiveLoops;
        var loops = new EventLoop[count];
        try
        {
            for (int i = 0; i < count; i++)
            {
                // Only a single loop reports idleness to a test clock: with several, one loop running out of work says
                // nothing about the others, and the clock falls back to its own steps (see ManualTimeProvider.AutoAdvance).
                loops[i] = new EventLoop(i == 0 ? options.ThreadName : $"{options.ThreadName} {i}", options.EventBatchSize, count == 1 ? options.TimeProvider as ILoopIdleObserver : null);
            }
        }
        catch
        {
            foreach (EventLoop? made in loops)
            {
                made?.Dispose();
            }

            throw;
        }

        _loops = new LoopSet(loops);
        TimeProvider = options.TimeProvider ?? (count == 1 ? loops[0].TimeProvider : new ReactorTimeProvider(_loops));
        // Both need every task on one thread: with several loops neither "one thread" nor "all blocked" can be seen.
        Capabilities = (count == 1 ? BackendCapabilities.SingleThreadedLoop | BackendCapabilities.WaitAllTasksBlocked : 0) | BackendCapabilities.Udp | BackendCapabilities.UnixSockets
            | BackendCapabilities.UnixDatagram | BackendCapabilities.ReusePort | BackendCapabilities.VirtualTime
            | BackendCapabilities.Subprocesses | BackendCapabilities.Signals | BackendCapabilities.OperatingSystemSockets | BackendCapabilities.TypedAttributes
            | (Socket.OSSupportsIPv6 ? BackendCapabilities.Ipv6 : 0);
    }

    /// <inheritdoc />
    public string Name => "reactor";

    /// <summary>How many loops (threads) this backend runs: <see cref="ReactorBackendOptions.Loops"/>, with 0 resolved to the core count.</summary>
    public int LoopCount => _loops.Count;

    /// <inheritdoc />
    public BackendCapabilities Capabilities { get; }

    /// <inheritdoc />
    /// <remarks>
    /// Unless <see cref="ReactorBackendOptions.TimeProvider"/> supplied another clock: timestamps are monotonic
    /// (CLOCK_MONOTONIC), timers live in the loop's heap and their callbacks run on the loop thread.
    /// </remarks>
    public TimeProvider TimeProvider { get; }

    /// <inheritdoc />
    /// <remarks><paramref name="main"/> runs on loop 0 (the only loop unless <see cref="ReactorBackendOptions.Loops"/> says otherwise).</remarks>
    public Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> main, CancellationToken cancellationToken = default) =>
        _lifetime.RunAsync(main, _loops.First.InvokeAsync, cancellationToken);

    /// <inheritdoc />
    /// <remarks>The loop polls without blocking while someone waits, and releases the waiters when that poll finds nothing to run.</remarks>
    public Task WaitAllTasksBlockedAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfSeveralLoops();
        _lifetime.ThrowIfStopping();
        EventLoop loop = _loops.First;
        Task blocked = loop.BlockedWaiters.WaitAsync(cancellationToken);

        // Wakes a loop asleep in epoll_wait so that it sees the new waiter.
        loop.PostIfRunning(static _ => { }, null);
        return blocked;
    }

    private void ThrowIfSeveralLoops()
    {
        if (_loops.Count > 1)
        {
            throw new NotSupportedException($"WaitAllTasksBlockedAsync needs a single loop; this '{Name}' backend runs {_loops.Count} (ReactorBackendOptions.Loops), and tasks on one loop cannot see whether those on another are blocked.");
        }
    }

    /// <inheritdoc />
    public async ValueTask<ISocketStream> ConnectTcpAsync(IPEndPoint remoteEndPoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remoteEndPoint);
        return await ConnectAsync(remoteEndPoint, isTcp: true, cancellationToken);
    }

    /// <inheritdoc />
    public ISocketListener ListenTcp(IPEndPoint localEndPoint, ListenOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        options ??= new ListenOptions();
        options.Validate();
        _lifetime.ThrowIfStopping();
        SafeFd fd = Sys.CreateSocket(SockAddr.FamilyOf(localEndPoint), Libc.SOCK_STREAM, localEndPoint);
        return Sys.CloseOnFailure(fd, fd =>
        {
            // Lets a restarted server bind while old connections sit in TIME_WAIT; two live listeners still conflict.
            Sys.SetOption(fd, Libc.SOL_SOCKET, Libc.SO_REUSEADDR, 1, "setsockopt(SO_REUSEADDR)", localEndPoint);
            if (options.ReusePort)
            {
                Sys.SetOption(fd, Libc.SOL_SOCKET, Libc.SO_REUSEPORT, 1, "setsockopt(SO_REUSEPORT)", localEndPoint);
            }

            if (options.KeepAlive is { } keepAlive)
            {
                // On the listening socket: Linux copies these options to every socket it accepts (tcp(7)).
                Sys.SetOption(fd, Libc.SOL_SOCKET, Libc.SO_KEEPALIVE, 1, "setsockopt(SO_KEEPALIVE)", localEndPoint);
                Sys.SetOption(fd, Libc.IPPROTO_TCP, Libc.TCP_KEEPIDLE, keepAlive.IdleSeconds, "setsockopt(TCP_KEEPIDLE)", localEndPoint);
                Sys.SetOption(fd, Libc.IPPROTO_TCP, Libc.TCP_KEEPINTVL, keepAlive.IntervalSeconds, "setsockopt(TCP_KEEPINTVL)", localEndPoint);
                Sys.SetOption(fd, Libc.IPPROTO_TCP, Libc.TCP_KEEPCNT, keepAlive.ProbeCount, "setsockopt(TCP_KEEPCNT)", localEndPoint);
            }

            Sys.Bind(fd, localEndPoint);
            Sys.Listen(fd, options.Backlog, localEndPoint);
            return (ISocketListener)new ListenerSocket(_loops.CurrentOrNext(), fd, Sys.LocalEndPoint(fd.Fd) ?? localEndPoint, isTcp: true, unixPath: null, _loops);
        });
    }

    /// <inheritdoc />
    public async ValueTask<ISocketStream> ConnectUnixAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return await ConnectAsync(new UnixDomainSocketEndPoint(path), isTcp: false, cancellationToken);
    }

    /// <inheritdoc />
    public ISocketListener ListenUnix(string path, ListenOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new ListenOptions();
        options.Validate();
        _lifetime.ThrowIfStopping();
        var endPoint = new UnixDomainSocketEndPoint(path);
        SocketErrors.ThrowIfUnixDirectoryMissing(path);
        SafeFd fd = Sys.CreateSocket(Libc.AF_UNIX, Libc.SOCK_STREAM, endPoint);
        return Sys.CloseOnFailure(fd, fd =>
        {
            // bind(2) refuses an existing path with EADDRINUSE; the listener never deletes a file it did not create.
            Sys.Bind(fd, endPoint);
            try
            {
                Sys.Listen(fd, options.Backlog, endPoint);
                return (ISocketListener)new ListenerSocket(_loops.CurrentOrNext(), fd, endPoint, isTcp: false, unixPath: path, _loops);
            }
            catch
            {
                _ = Libc.Unlink(path);
                throw;
            }
        });
    }

    /// <inheritdoc />
    public IDatagramSocket BindUdp(IPEndPoint localEndPoint, IPEndPoint? remoteEndPoint = null)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        _lifetime.ThrowIfStopping();
        SafeFd fd = Sys.CreateSocket(SockAddr.FamilyOf(localEndPoint), Libc.SOCK_DGRAM, localEndPoint);
        return Sys.CloseOnFailure(fd, fd =>
        {
            Sys.Bind(fd, localEndPoint);
            if (remoteEndPoint is not null)
            {
                Sys.ConnectNow(fd, remoteEndPoint);
            }

            var socket = new DatagramSocket(_loops.CurrentOrNext(), fd, unixPath: null);
            socket.LocalEndPoint = socket.GetLocalEndPoint() ?? localEndPoint;
            socket.RemoteEndPoint = remoteEndPoint is null ? null : socket.GetRemoteEndPoint() ?? remoteEndPoint;
            return (IDatagramSocket)socket;
        });
    }

    /// <inheritdoc />
    public IDatagramSocket BindUnixDatagram(string? path, string? remotePath = null)
    {
        _lifetime.ThrowIfStopping();
        UnixDomainSocketEndPoint? local = path is null ? null : new UnixDomainSocketEndPoint(path);
        UnixDomainSocketEndPoint? remote = remotePath is null ? null : new UnixDomainSocketEndPoint(remotePath);
        EndPoint named = (EndPoint?)local ?? remote ?? SockAddr.Unnamed;
        if (path is not null)
        {
            SocketErrors.ThrowIfUnixDirectoryMissing(path);
        }

        SafeFd fd = Sys.CreateSocket(Libc.AF_UNIX, Libc.SOCK_DGRAM, named);
        return Sys.CloseOnFailure(fd, fd =>
        {
            if (local is not null)
            {
                Sys.Bind(fd, local);
            }

            try
            {
                if (remote is not null)
                {
                    Sys.ConnectNow(fd, remote);
                }

                var socket = new DatagramSocket(_loops.CurrentOrNext(), fd, unixPath: path);
                socket.LocalEndPoint = local ?? SockAddr.Unnamed;
                socket.RemoteEndPoint = remote;
                return (IDatagramSocket)socket;
            }
            catch when (path is not null)
            {
                _ = Libc.Unlink(path);
                throw;
            }
        });
    }

    /// <inheritdoc />
    /// <remarks>getaddrinfo blocks, so it runs on the thread pool; the result comes back to the caller's loop continuation.</remarks>
    public async ValueTask<IPAddress[]> ResolveAsync(string host, AddressFamily family = AddressFamily.Unspecified, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        cancellationToken.ThrowIfCancellationRequested();
        _lifetime.ThrowIfStopping();
        IPAddress[] addresses;
        try
        {
            addresses = await Task.Run(() => Dns.GetHostAddresses(host, family), cancellationToken).WaitAsync(cancellationToken);
        }
        catch (SocketException error)
        {
            throw new NameResolutionException(host, error.Message, error);
        }

        return addresses.Length > 0 ? addresses : throw new NameResolutionException(host, "no address of the requested family");
    }

    /// <inheritdoc />
    /// <remarks>
    /// posix_spawn(3) with file actions for the pipes, the parent's ends non-blocking in the loop's epoll, and a pidfd
    /// (pidfd_open(2)) in epoll for the exit: no SIGCHLD handler is installed and the runtime's own is left alone.
    /// </remarks>
    public async ValueTask<IAsyncProcess> OpenProcessAsync(ProcessStartOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        cancellationToken.ThrowIfCancellationRequested();
        _lifetime.ThrowIfStopping();
        if (_loops.Current is { } current)
        {
            return ChildProcess.Start(current, options);
        }

        EventLoop loop = _loops.Next();
        return await loop.InvokeAsync(() => Task.FromResult<IAsyncProcess>(ChildProcess.Start(loop, options)));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // ConfigureAwait(false) throughout: Dispose() may block a thread that runs another loop (for example a
        // backend made and disposed inside code running on this or another reactor); resuming on that loop would deadlock.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await StopLoopsAsync().ConfigureAwait(false);
            return;
        }

        await _lifetime.StopAsync().ConfigureAwait(false);
        await StopLoopsAsync().ConfigureAwait(false);
        _lifetime.Dispose();
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">Called on the loop thread itself (it would wait for itself): use <see cref="DisposeAsync"/>.</exception>
    public void Dispose()
    {
        if (_loops.Current is not null)
        {
            throw new InvalidOperationException("The reactor backend cannot be disposed synchronously from its own loop thread; use DisposeAsync.");
        }

        DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private Task StopLoopsAsync()
    {
        IReadOnlyList<EventLoop> loops = _loops.All;
        if (loops.Count == 1)
        {
            return loops[0].StopAsync();
        }

        var stopping = new Task[loops.Count];
        for (int i = 0; i < stopping.Length; i++)
        {
            stopping[i] = loops[i].StopAsync();
        }

        return Task.WhenAll(stopping);
    }

    private async ValueTask<ISocketStream> ConnectAsync(EndPoint remoteEndPoint, bool isTcp, CancellationToken cancellationToken)
    {
        _lifetime.ThrowIfStopping();
        cancellationToken.ThrowIfCancellationRequested();
        if (_loops.Current is { } current)
        {
            return await ConnectOnLoopAsync(current, remoteEndPoint, isTcp, cancellationToken);
        }

        EventLoop loop = _loops.Next();
        return await loop.InvokeAsync(static s => ConnectOnLoopAsync(s.loop, s.remoteEndPoint, s.isTcp, s.cancellationToken), (loop, remoteEndPoint, isTcp, cancellationToken));
    }

    private static async ValueTask<ISocketStream> ConnectOnLoopAsync(EventLoop loop, EndPoint remoteEndPoint, bool isTcp, CancellationToken cancellationToken)
    {
        SafeFd fd = Sys.CreateSocket(SockAddr.FamilyOf(remoteEndPoint), Libc.SOCK_STREAM, remoteEndPoint);
        StreamSocket stream;
        try
        {
            if (isTcp)
            {
                Sys.SetOption(fd, Libc.IPPROTO_TCP, Libc.TCP_NODELAY, 1, "setsockopt(TCP_NODELAY)", remoteEndPoint);
            }

            stream = new StreamSocket(loop, fd);
        }
        catch
        {
            fd.Dispose();
            throw;
        }

        try
        {
            await stream.ConnectAsync(remoteEndPoint, cancellationToken);
            stream.CaptureEndPoints(remoteEndPoint);
            return stream;
        }
        catch
        {
            stream.CloseOnLoop();
            throw;
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// On the runtime's own signal handling (<see cref="RuntimeSignalReceiver"/>, which explains why not signalfd or
    /// uv_signal_t); the receiver's awaits resume on the caller's context.
    /// </remarks>
    public ISignalReceiver OpenSignalReceiver(params System.Runtime.InteropServices.PosixSignal[] signals)
    {
        _lifetime.ThrowIfStopping();
        return new RuntimeSignalReceiver(signals);
    }
}
