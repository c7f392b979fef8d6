using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using AnyNet.Backends.Libuv.Interop;
using AnyNet.Backends.Libuv.Internal;
using AnyNet.Testing;

namespace AnyNet.Backends.Libuv;

/// <summary>
/// The AnyNet backend on libuv (the system's libuv.so.1): one loop thread running uv_run, TCP over uv_tcp, Unix
/// sockets over uv_pipe, UDP over uv_udp, names through uv_getaddrinfo and timers from uv_timer. User continuations
/// run on the loop thread.
/// </summary>
/// <remarks>
/// Install libuv with <c>apt-get install -y libuv1</c>. libuv has no Unix datagram handle, so Unix datagram sockets
/// are made with socket(2) and watched with uv_poll.
/// </remarks>
public sealed class LibuvBackend : IAsyncBackend
{
    private readonly BackendLifetime _lifetime = new("libuv");
    private readonly LibuvLoop _loop;
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
        TimeProvider? clock = options?.TimeProvider;
        _loop = new LibuvLoop("AnyNet libuv loop", clock as ILoopIdleObserver);
        TimeProvider = clock ?? new LibuvTimeProvider(_loop);
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
    public BackendCapabilities Capabilities =>
        BackendCapabilities.UnixSockets | BackendCapabilities.UnixDatagram | BackendCapabilities.Udp | BackendCapabilities.Ipv6
        | BackendCapabilities.ReusePort | BackendCapabilities.SingleThreadedLoop | BackendCapabilities.VirtualTime
        | BackendCapabilities.Subprocesses | BackendCapabilities.Signals | BackendCapabilities.OperatingSystemSockets | BackendCapabilities.TypedAttributes
        | BackendCapabilities.FdPassing | BackendCapabilities.ForeignHandleReadiness | BackendCapabilities.WaitAllTasksBlocked;

    /// <inheritdoc />
    public TimeProvider TimeProvider { get; }

    /// <inheritdoc />
    public Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> main, CancellationToken cancellationToken = default) =>
        _lifetime.RunAsync(main, Schedule, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// While someone waits, the loop polls without blocking (an active uv_idle handle); the waiters are released after
    /// two iterations in a row whose poll ran nothing and left nothing queued.
    /// </remarks>
    public Task WaitAllTasksBlockedAsync(CancellationToken cancellationToken = default)
    {
        _loop.ThrowIfStopping();
        Task blocked = _loop.BlockedWaiters.WaitAsync(cancellationToken);

        // Wakes a loop asleep in its poll so that it sees the new waiter.
        _loop.Post(static _ => { }, null);
        return blocked;
    }

    /// <inheritdoc />
    public ValueTask<ISocketStream> ConnectTcpAsync(IPEndPoint remoteEndPoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remoteEndPoint);
        ThrowIfNotIp(remoteEndPoint, nameof(remoteEndPoint));
        return UvStream.ConnectTcpAsync(_loop, remoteEndPoint, cancellationToken);
    }

    /// <inheritdoc />
    public ISocketListener ListenTcp(IPEndPoint localEndPoint, ListenOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        ThrowIfNotIp(localEndPoint, nameof(localEndPoint));
        options ??= new ListenOptions();
        options.Validate();
        return _loop.Invoke(() => UvListener.ListenTcp(_loop, localEndPoint, options));
    }

    /// <inheritdoc />
    public ValueTask<ISocketStream> ConnectUnixAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return UvStream.ConnectUnixAsync(_loop, path, cancellationToken);
    }

    /// <inheritdoc />
    public ISocketListener ListenUnix(string path, ListenOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new ListenOptions();
        options.Validate();
        return _loop.Invoke(() => UvListener.ListenUnix(_loop, path, options));
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

        return _loop.Invoke(() => UvUdpSocket.Bind(_loop, localEndPoint, remoteEndPoint));
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

        return _loop.Invoke(() => UvUnixDatagramSocket.Bind(_loop, path, remotePath));
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
        return new ValueTask<IAsyncProcess>(_loop.Invoke<IAsyncProcess>(() => UvProcess.Start(_loop, options)));
    }

    /// <inheritdoc />
    public ValueTask<IPAddress[]> ResolveAsync(string host, AddressFamily family = AddressFamily.Unspecified, CancellationToken cancellationToken = default) =>
        UvResolver.ResolveAsync(_loop, host, family, cancellationToken);

    /// <summary>Cancels every running <c>main</c>, waits for them, closes every handle and stops the loop thread.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await _loop.Exited.ConfigureAwait(false);
            return;
        }

        if (_loop.IsLoopThread)
        {
            throw new InvalidOperationException("The libuv backend cannot be disposed from its own loop thread (it would wait for itself).");
        }

        await _lifetime.StopAsync().ConfigureAwait(false);
        await _loop.StopAsync().ConfigureAwait(false);
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
        _loop.ThrowIfStopping();
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _loop.Post(
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

    /// <inheritdoc />
    /// <remarks>A uv_poll_t on a duplicate of the descriptor for the wait's duration (libuv's way to watch an external descriptor; the descriptor's blocking mode, which uv_poll_init changes, is put back).</remarks>
    public ValueTask WaitReadableAsync(nint handle, CancellationToken cancellationToken = default) => WaitForeignAsync(handle, writable: false, cancellationToken);

    /// <inheritdoc />
    /// <remarks>A uv_poll_t on a duplicate of the descriptor for the wait's duration.</remarks>
    public ValueTask WaitWritableAsync(nint handle, CancellationToken cancellationToken = default) => WaitForeignAsync(handle, writable: true, cancellationToken);

    private ValueTask WaitForeignAsync(nint handle, bool writable, CancellationToken cancellationToken)
    {
        _lifetime.ThrowIfStopping();
        if (!_loop.IsLoopThread)
        {
            return _loop.InvokeAsync(static s => new ValueTask(UvDescriptorWait.WaitAsync(s.Item1, s.handle, s.writable, s.cancellationToken)), (_loop, handle, writable, cancellationToken));
        }

        return new ValueTask(UvDescriptorWait.WaitAsync(_loop, handle, writable, cancellationToken));
    }
}
