using System.Net;
using System.Runtime.InteropServices;
using System.Net.Sockets;

namespace AnyNet;

/// <summary>
/// An engine that runs AnyNet code: its scheduler, its clock and its sockets. Everything else in AnyNet
/// (task groups, cancel scopes, servers, happy eyeballs) is built once on these primitives.
/// </summary>
/// <remarks>
/// A backend instance owns its scheduler (a loop thread for loop backends) from construction until it is disposed.
/// <see cref="RunAsync{T}"/> may be called any number of times, from any thread, also concurrently: every call runs on
/// the same scheduler. Disposing the backend cancels the token of every running <c>main</c>, waits for them to end,
/// then releases the scheduler.
/// </remarks>
public interface IAsyncBackend : IAsyncDisposable, IDisposable
{
    /// <summary>The backend's short name: <c>tasks</c>, <c>reactor</c>, <c>libuv</c>, or a third party's.</summary>
    string Name { get; }

    /// <summary>What this backend supports; the conformance suite skips, with the reason, what it does not.</summary>
    BackendCapabilities Capabilities { get; }

    /// <summary>The backend's clock and timers. Sleeps, deadlines and timeouts use it.</summary>
    TimeProvider TimeProvider { get; }

    /// <summary>
    /// Runs <paramref name="main"/> on the backend's scheduler and completes with its result. Continuations of
    /// <paramref name="main"/> stay on that scheduler (for loop backends: the loop thread).
    /// </summary>
    /// <param name="main">The code to run; its token is cancelled by <paramref name="cancellationToken"/> or when the backend is disposed.</param>
    /// <param name="cancellationToken">Cancels the token passed to <paramref name="main"/>.</param>
    /// <exception cref="ObjectDisposedException">The backend was disposed.</exception>
    Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> main, CancellationToken cancellationToken = default);

    /// <summary>Opens a TCP connection to <paramref name="remoteEndPoint"/>.</summary>
    /// <exception cref="System.Net.Sockets.SocketException">The connection could not be made (refused, unreachable...); the message names the endpoint.</exception>
    ValueTask<ISocketStream> ConnectTcpAsync(IPEndPoint remoteEndPoint, CancellationToken cancellationToken = default);

    /// <summary>Binds and listens on <paramref name="localEndPoint"/> (port 0 picks a free port, see <see cref="IListener{TStream}.LocalEndPoint"/>).</summary>
    /// <exception cref="System.Net.Sockets.SocketException">The address could not be bound (in use, not available); the message names the endpoint.</exception>
    ISocketListener ListenTcp(IPEndPoint localEndPoint, ListenOptions? options = null);

    /// <summary>Connects to a Unix domain stream socket at <paramref name="path"/>.</summary>
    /// <exception cref="NotSupportedException">The backend lacks <see cref="BackendCapabilities.UnixSockets"/>.</exception>
    ValueTask<ISocketStream> ConnectUnixAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Listens on a Unix domain stream socket at <paramref name="path"/>; the socket file is removed when the listener is disposed.</summary>
    /// <exception cref="NotSupportedException">The backend lacks <see cref="BackendCapabilities.UnixSockets"/>.</exception>
    ISocketListener ListenUnix(string path, ListenOptions? options = null);

    /// <summary>Binds a UDP socket to <paramref name="localEndPoint"/>; if <paramref name="remoteEndPoint"/> is given the socket is connected to it.</summary>
    IDatagramSocket BindUdp(IPEndPoint localEndPoint, IPEndPoint? remoteEndPoint = null);

    /// <summary>Binds a Unix datagram socket at <paramref name="path"/> (null: unbound); if <paramref name="remotePath"/> is given it is connected.</summary>
    /// <exception cref="NotSupportedException">The backend lacks <see cref="BackendCapabilities.UnixDatagram"/>.</exception>
    IDatagramSocket BindUnixDatagram(string? path, string? remotePath = null);

    /// <summary>Resolves <paramref name="host"/> to its addresses (getaddrinfo order), optionally only of one family.</summary>
    /// <exception cref="NameResolutionException">The name does not resolve.</exception>
    ValueTask<IPAddress[]> ResolveAsync(string host, AddressFamily family = AddressFamily.Unspecified, CancellationToken cancellationToken = default);

    /// <summary>
    /// Starts a child process (AnyIO's <c>open_process</c>). Dispose the returned process: that closes its pipes, kills
    /// it if it still runs and reaps it.
    /// </summary>
    /// <exception cref="FileNotFoundException">The program does not exist (searched in <c>PATH</c> for a bare name).</exception>
    /// <exception cref="DirectoryNotFoundException">The working directory does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">The program is a directory or not executable.</exception>
    /// <exception cref="NotSupportedException">The backend lacks <see cref="BackendCapabilities.Subprocesses"/>.</exception>
    ValueTask<IAsyncProcess> OpenProcessAsync(ProcessStartOptions options, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"The '{Name}' backend does not support subprocesses (it lacks BackendCapabilities.{nameof(BackendCapabilities.Subprocesses)}).");

    /// <summary>
    /// Starts receiving <paramref name="signals"/> (AnyIO's <c>open_signal_receiver</c>): each delivery of one of them is
    /// an item of the returned stream, until it is disposed. While a receiver exists the signal's default action
    /// (terminating the process, for SIGTERM or SIGINT) does not happen. Every receiver of a signal sees it.
    /// </summary>
    /// <exception cref="ArgumentException">No signal, or a signal the OS does not know or that cannot be caught (SIGKILL, SIGSTOP).</exception>
    /// <exception cref="NotSupportedException">The backend lacks <see cref="BackendCapabilities.Signals"/>.</exception>
    ISignalReceiver OpenSignalReceiver(params PosixSignal[] signals) =>
        throw new NotSupportedException($"The '{Name}' backend does not support receiving signals (it lacks BackendCapabilities.{nameof(BackendCapabilities.Signals)}).");

    /// <summary>
    /// Completes once every task on the backend's scheduler is blocked: nothing is ready to run, due timers have fired,
    /// and a poll for I/O found nothing more to do (Trio's <c>wait_all_tasks_blocked</c>). For tests: it lets a test
    /// wait until the code under test has done all it can do now (sent its reply, reached its next receive) without
    /// sleeping. Tasks waiting for a timer, for I/O, for a lock or for a thread-pool call all count as blocked.
    /// </summary>
    /// <remarks>
    /// Called from a task of the backend, the caller's own wait does not count: it returns when everything else waits.
    /// Several callers are all released together. Work outside the scheduler (the thread pool, other threads) is not
    /// seen, and may make something runnable again the moment after it returns.
    /// </remarks>
    /// <param name="cancellationToken">Stops waiting; the wait then throws <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="NotSupportedException">The backend lacks <see cref="BackendCapabilities.WaitAllTasksBlocked"/>.</exception>
    Task WaitAllTasksBlockedAsync(CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"The '{Name}' backend cannot tell when all of its tasks are blocked (it lacks BackendCapabilities.{nameof(BackendCapabilities.WaitAllTasksBlocked)}): its tasks run on the thread pool, where a task that waits and one that is about to run look the same.");
}
