using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using AnyNet.Backends.Libuv.Interop;
using AnyNet.Backends.Libuv.Internal;
using AnyNet.Testing;

namespace AnyNet.Backends.Libuv;

/// <summary>
/// The AnyNet backend on libuv (the system's libuv.so.1): one loop thread running uv_run (or several,
/// <see cref="LibuvBackendOptions.Loops"/>), TCP over uv_tcp, Unix sockets over uv_pipe, UDP over uv_udp, names through
/// uv_getaddrinfo and timers from uv_timer. User continuations run on the loop thread that owns their task.
/// </summary>
/// <remarks>
/// Install libuv with <c>apt-get install -y libuv1</c>. libuv has no Unix datagram handle, so Unix datagram sockets
/// are made with socket(2) and watched with uv_poll.
/// </remarks>
public sealed class LibuvBackend : IAsyncBackend
{
    private readonly BackendLifetime _lifetime = new("libuv");
    private readonly LoopSet _loops;
    private int _disposed;

    /// <summary>Creates the backend and starts its loop thread.</summary>
    /// <exception cref="DllNotFoundException">libuv.so.1 is not installed; the message says how to install it.</exception>
    public LibuvBackend()
        : this(null)
    {
    }

    /// <summary>Creates the backend with <paramref name="options"/> and starts its loop thread.</summary>
    /// <exception cref="DllNotFoundException">libuv.so.1 is not installed; the message says how to install it.</exception>
    public LibuvBackend(LibuvBackendOptions? options)
    {
        Uv.EnsureLoaded();
        options ??= new LibuvBackendOptions();
        options.Validate();
        TimeProvider? clock = options.TimeProvider;
        int count = options.EffectiveLoops;
        var loops = new LibuvLoop[count];
        try
        {
            for (int i = 0; i < count; i++)
            {
                // Only a single loop reports idleness to a test clock: with several, one idle loop says nothing about
                // the others, and the clock falls back to its own steps (see ManualTimeProvider.AutoAdvance).
                loops[i] = new LibuvLoop(i == 0 ? "AnyNet libuv loop" : $"AnyNet libuv loop {i}", count == 1 ? clock as ILoopIdleObserver : null);
            }
        }
        catch
        {
            foreach (LibuvLoop? made in loops)
            {
                _ = made?.StopAsync();
            }

            throw;
        }

        _loops = new LoopSet(loops);
        TimeProvider = clock ?? new LibuvTimeProvider(_loops);
        // Both need every task on one thread: with several loops neither "one thread" nor "all blocked" can be seen.
        Capabilities = (count == 1 ? BackendCapabilities.SingleThreadedLoop | BackendCapabilities.WaitAllTasksBlocked : 0)
            | BackendCapabilities.UnixSockets | BackendCapabilities.UnixDatagram | BackendCapabilities.Udp | BackendCapabilities.Ipv6
            | BackendCapabilities.ReusePort | BackendCapabilities.VirtualTime
            | BackendCapabilities.Subprocesses | BackendCapabilities.Signals | BackendCapabilities.OperatingSystemSockets | BackendCapabilities.TypedAttributes;
    }

    /// <summary>The version of the loaded libuv, as reported by uv_version_string() (for example "1.44.2").</summary>
    /// <exception cref="DllNotFoundException">libuv.so.1 is not installed.</exception>
    public static unsafe string LibuvVersion
    {
        get
        {
            Uv.EnsureLoaded();
            return Marshal.PtrToStringUTF8((IntPtr)Uv.uv_version_string()) ?? string.Empty;
        }
    }

    /// <inheritdoc />
    public string Name => "libuv";

    /// <inheritdoc />
    /// <remarks>Without <see cref="BackendCapabilities.SingleThreadedLoop"/> when it runs more than one loop.</remarks>
    public BackendCapabilities Capabilities { get; }

    /// <summary>How many loops (threads) this backend runs: <see cref="LibuvBackendOptions.Loops"/>, with 0 resolved to the core count.</summary>
    public int LoopCount => _loops.Count;

    /// <inheritdoc />
    public TimeProvider TimeProvider { get; }

    /// <inheritdoc />
    /// <remarks><paramref name="main"/> runs on loop 0 (the only loop unless <see cref="LibuvBackendOptions.Loops"/> says otherwise).</remarks>
    public Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> main, CancellationToken cancellationToken = default) =>
        _lifetime.RunAsync(main, Schedule, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// While someone waits, the loop polls without blocking (an active uv_idle handle); the waiters are released after
    /// two iterations in a row whose poll ran nothing and left nothing queued.
    /// </remarks>
    public Task WaitAllTasksBlockedAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfSeveralLoops();
        LibuvLoop loop = _loops.First;
        loop.ThrowIfStopping();
        Task blocked = loop.BlockedWaiters.WaitAsync(cancellationToken);

        // Wakes a loop asleep in its poll so that it sees the new waiter.
        loop.Post(static _ => { }, null);
        return blocked;
    }

    private void ThrowIfSeveralLoops()
    {
        if (_loops.Count > 1)
        {
            throw new NotSupportedException($"WaitAllTasksBlockedAsync needs a single loop; this '{Name}' backend runs {_loops.Count} (LibuvBackendOptions.Loops), and tasks on one loop cannot see whether those on another are blocked.");
        }
    }

    /// <inheritdoc />
    public ValueTask<ISocketStream> ConnectTcpAsync(IPEndPoint remoteEndPoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remoteEndPoint);
        ThrowIfNotIp(remoteEndPoint, nameof(remoteEndPoint));
        return UvStream.ConnectTcpAsync(_loops.CurrentOrNext(), remoteEndPoint, cancellationToken);
    }

    /// <inheritdoc />
    public ISocketListener ListenTcp(IPEndPoint localEndPoint, ListenOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        ThrowIfNotIp(localEndPoint, nameof(localEndPoint));
        options ??= new ListenOptions();
        options.Validate();
        LibuvLoop loop = _loops.CurrentOrNext();
        return loop.Invoke(() => UvListener.ListenTcp(loop, localEndPoint, options).SpreadOver(_loops));
    }

    /// <inheritdoc />
    public ValueTask<ISocketStream> ConnectUnixAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return UvStream.ConnectUnixAsync(_loops.CurrentOrNext(), path, cancellationToken);
    }

    /// <inheritdoc />
    public ISocketListener ListenUnix(string path, ListenOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new ListenOptions();
        options.Validate();
        LibuvLoop loop = _loops.CurrentOrNext();
        return loop.Invoke(() => UvListener.ListenUnix(loop, path, options).SpreadOver(_loops));
    }

    /// <inheritdoc />
    public IDatagramSocket BindUdp(IPEndPoint localEndPoint, IPEndPoint? remoteEndPoint = null)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        ThrowIfNotIp(localEndPoint, nameof(localEndPoint));
        if (remoteEndPoint is not null)
        {
            ThrowIfNotIp(remoteEndPoint, nameof(remoteEndPoint));
        }

        LibuvLoop loop = _loops.CurrentOrNext();
        return loop.Invoke(() => UvUdpSocket.Bind(loop, localEndPoint, remoteEndPoint));
    }

    /// <inheritdoc />
    /// <remarks>libuv has no Unix datagram handle: the socket comes from socket(2) and is watched with uv_poll.</remarks>
    public IDatagramSocket BindUnixDatagram(string? path, string? remotePath = null)
    {
        if (path is not null)
        {
            ArgumentException.ThrowIfNullOrEmpty(path);
        }

        if (remotePath is not null)
        {
            ArgumentException.ThrowIfNullOrEmpty(remotePath);
        }

        LibuvLoop loop = _loops.CurrentOrNext();
        return loop.Invoke(() => UvUnixDatagramSocket.Bind(loop, path, remotePath));
    }

    /// <inheritdoc />
    /// <remarks>
    /// posix_spawn(3) plus a pidfd watched by a uv_poll_t, stdio pipes in uv_pipe_t handles (uv_pipe_open). Not uv_spawn:
    /// libuv reaps through a process-wide SIGCHLD handler that replaces the .NET runtime's and resets SIGCHLD to SIG_DFL
    /// when its last process closes, which breaks System.Diagnostics.Process elsewhere in the same process.
    /// </remarks>
    public ValueTask<IAsyncProcess> OpenProcessAsync(ProcessStartOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        cancellationToken.ThrowIfCancellationRequested();
        LibuvLoop loop = _loops.CurrentOrNext();
        return new ValueTask<IAsyncProcess>(loop.Invoke<IAsyncProcess>(() => UvProcess.Start(loop, options)));
    }

    /// <inheritdoc />
    public ValueTask<IPAddress[]> ResolveAsync(string host, AddressFamily family = AddressFamily.Unspecified, CancellationToken cancellationToken = default) =>
        UvResolver.ResolveAsync(_loops.CurrentOrFirst(), host, family, cancellationToken);

    /// <summary>Cancels every running <c>main</c>, waits for them, closes every handle and stops the loop thread.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await Task.WhenAll(_loops.All.Select(static l => l.Exited)).ConfigureAwait(false);
            return;
        }

        if (_loops.Current is not null)
        {
            throw new InvalidOperationException("The libuv backend cannot be disposed from its own loop thread (it would wait for itself).");
        }

        await _lifetime.StopAsync().ConfigureAwait(false);
        await Task.WhenAll(_loops.All.Select(static l => l.StopAsync())).ConfigureAwait(false);
        _lifetime.Dispose();
    }

    /// <summary>Synchronous <see cref="DisposeAsync"/>; do not call it on the loop thread.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static void ThrowIfNotIp(IPEndPoint endPoint, string name)
    {
        if (endPoint.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            throw new ArgumentException($"Only IPv4 and IPv6 endpoints are supported, not {endPoint.AddressFamily}.", name);
        }
    }

    private Task<T> Schedule<T>(Func<Task<T>> start)
    {
        LibuvLoop loop = _loops.First;
        loop.ThrowIfStopping();
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Post(
            static state =>
            {
                var (start, completion) = ((Func<Task<T>>, TaskCompletionSource<T>))state!;
                Task<T> task;
                try
                {
                    task = start();
                }
                catch (Exception e)
                {
                    completion.TrySetException(e);
                    return;
                }

                _ = task.ContinueWith(
                    static (finished, s) => Forward(finished, (TaskCompletionSource<T>)s!),
                    completion,
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            },
            (start, completion));
        return completion.Task;
    }

    private static void Forward<T>(Task<T> finished, TaskCompletionSource<T> completion)
    {
        if (finished.IsCanceled)
        {
            try
            {
                finished.GetAwaiter().GetResult();
            }
            catch (OperationCanceledException e)
            {
                completion.TrySetCanceled(e.CancellationToken);
                return;
            }
        }

        if (finished.IsFaulted)
        {
            completion.TrySetException(finished.Exception!.InnerExceptions);
        }
        else
        {
            completion.TrySetResult(finished.Result);
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
