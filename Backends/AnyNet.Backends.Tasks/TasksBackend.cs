using System.Net;
using System.Net.Sockets;
using AnyNet.Backends.Tasks.Internal;

namespace AnyNet.Backends.Tasks;

/// <summary>
/// The default backend: System.Net.Sockets' ValueTask APIs (epoll underneath, via the runtime's own socket engine) and
/// the thread pool. User continuations run on thread-pool threads, so code of different tasks may run in parallel.
/// </summary>
public sealed class TasksBackend : IAsyncBackend
{
    private readonly BackendLifetime _lifetime = new("tasks");

    /// <summary>Creates the backend on the system clock.</summary>
    public TasksBackend() : this(null) { }

    /// <summary>Creates the backend with the given options.</summary>
    public TasksBackend(TasksBackendOptions? options)
    {
        TimeProvider = options?.TimeProvider ?? TimeProvider.System;
        Capabilities = BackendCapabilities.Udp | BackendCapabilities.ReusePort | BackendCapabilities.VirtualTime | BackendCapabilities.OperatingSystemSockets
            | (Socket.OSSupportsIPv6 ? BackendCapabilities.Ipv6 : 0)
            | (Socket.OSSupportsUnixDomainSockets ? BackendCapabilities.UnixSockets | BackendCapabilities.UnixDatagram : 0)
            | BackendCapabilities.Subprocesses | (OperatingSystem.IsWindows() ? 0 : BackendCapabilities.Signals)
            | BackendCapabilities.TypedAttributes
            | (OperatingSystem.IsLinux() ? BackendCapabilities.FdPassing | BackendCapabilities.ForeignHandleReadiness : 0);
    }

    /// <inheritdoc />
    public string Name => "tasks";

    /// <inheritdoc />
    public BackendCapabilities Capabilities { get; }

    /// <inheritdoc />
    public TimeProvider TimeProvider { get; }

    /// <inheritdoc />
    public Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> main, CancellationToken cancellationToken = default) =>
        _lifetime.RunAsync(main, static start => Task.Run(start), cancellationToken);

    /// <inheritdoc />
    public async ValueTask<ISocketStream> ConnectTcpAsync(IPEndPoint remoteEndPoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remoteEndPoint);
        _lifetime.ThrowIfStopping();
        cancellationToken.ThrowIfCancellationRequested();
        var socket = new Socket(remoteEndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await ConnectAsync(socket, remoteEndPoint, cancellationToken);
        return new SocketStream(socket);
    }

    /// <inheritdoc />
    public ISocketListener ListenTcp(IPEndPoint localEndPoint, ListenOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        options ??= new ListenOptions();
        options.Validate();
        _lifetime.ThrowIfStopping();
        var socket = new Socket(localEndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (options.ReusePort)
        {
            SocketSetup.EnableReusePort(socket);
        }

        if (options.KeepAlive is { } keepAlive)
        {
            // On the listening socket: Linux copies these options to every socket it accepts.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, keepAlive.IdleSeconds);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, keepAlive.IntervalSeconds);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, keepAlive.ProbeCount);
        }

        SocketSetup.BindAndListen(socket, localEndPoint, options.Backlog);
        return new SocketListener(socket, unixPath: null);
    }

    /// <inheritdoc />
    public async ValueTask<ISocketStream> ConnectUnixAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _lifetime.ThrowIfStopping();
        cancellationToken.ThrowIfCancellationRequested();
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await ConnectAsync(socket, new UnixDomainSocketEndPoint(path), cancellationToken);
        return new SocketStream(socket);
    }

    /// <inheritdoc />
    public ISocketListener ListenUnix(string path, ListenOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new ListenOptions();
        options.Validate();
        _lifetime.ThrowIfStopping();
        var endPoint = new UnixDomainSocketEndPoint(path);
        SocketSetup.ThrowIfPathExists(path, endPoint);
        SocketErrors.ThrowIfUnixDirectoryMissing(path);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        SocketSetup.BindAndListen(socket, endPoint, options.Backlog);
        return new SocketListener(socket, path);
    }

    /// <inheritdoc />
    public IDatagramSocket BindUdp(IPEndPoint localEndPoint, IPEndPoint? remoteEndPoint = null)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        _lifetime.ThrowIfStopping();
        var socket = new Socket(localEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        SocketSetup.Bind(socket, localEndPoint, remoteEndPoint);
        return new DatagramSocket(socket, unixPath: null);
    }

    /// <inheritdoc />
    public IDatagramSocket BindUnixDatagram(string? path, string? remotePath = null)
    {
        _lifetime.ThrowIfStopping();
        UnixDomainSocketEndPoint? local = path is null ? null : new UnixDomainSocketEndPoint(path);
        if (path is not null)
        {
            SocketSetup.ThrowIfPathExists(path, local!);
            SocketErrors.ThrowIfUnixDirectoryMissing(path);
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        SocketSetup.Bind(socket, local, remotePath is null ? null : new UnixDomainSocketEndPoint(remotePath));
        return new DatagramSocket(socket, path);
    }

    /// <inheritdoc />
    public async ValueTask<IPAddress[]> ResolveAsync(string host, AddressFamily family = AddressFamily.Unspecified, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            IPAddress[] addresses = await Dns.GetHostAddressesAsync(host, family, cancellationToken);
            return addresses.Length > 0 ? addresses : throw new NameResolutionException(host, "no address of the requested family");
        }
        catch (SocketException error)
        {
            throw new NameResolutionException(host, error.Message, error);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _lifetime.StopAsync();
        _lifetime.Dispose();
    }

    /// <inheritdoc />
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static async ValueTask ConnectAsync(Socket socket, EndPoint remoteEndPoint, CancellationToken cancellationToken)
    {
        try
        {
            await socket.ConnectAsync(remoteEndPoint, cancellationToken);
        }
        catch (SocketException error)
        {
            socket.Dispose();
            throw SocketSetup.Named(error, "connect", remoteEndPoint);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Runs on <see cref="System.Diagnostics.Process"/>: the runtime forks and execs the child, reaps it from its SIGCHLD
    /// handling and gives pipe streams on its own epoll engine.
    /// </remarks>
    public ValueTask<IAsyncProcess> OpenProcessAsync(ProcessStartOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        cancellationToken.ThrowIfCancellationRequested();
        _lifetime.ThrowIfStopping();
        return new ValueTask<IAsyncProcess>(TasksProcess.Start(options));
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
    /// <remarks>
    /// System.Net.Sockets exposes no readiness of a descriptor it does not own, so the wait is a poll(2) on a dedicated
    /// thread, woken by an eventfd on cancellation (<see cref="ForeignDescriptor.PollOnThreadAsync"/>): one thread per
    /// pending wait. A loop backend (reactor, libuv) registers the descriptor with its loop instead.
    /// </remarks>
    public ValueTask WaitReadableAsync(nint handle, CancellationToken cancellationToken = default)
    {
        _lifetime.ThrowIfStopping();
        return new ValueTask(ForeignDescriptor.PollOnThreadAsync(handle, writable: false, cancellationToken));
    }

    /// <inheritdoc />
    /// <remarks>A poll(2) on a dedicated thread, as for <see cref="WaitReadableAsync"/>.</remarks>
    public ValueTask WaitWritableAsync(nint handle, CancellationToken cancellationToken = default)
    {
        _lifetime.ThrowIfStopping();
        return new ValueTask(ForeignDescriptor.PollOnThreadAsync(handle, writable: true, cancellationToken));
    }
}
