using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using AnyNet.Diagnostics;
using AnyNet.Diagnostics.Internal;
using AnyNet.Internal;

namespace AnyNet;

/// <summary>The backend-independent entry points and helpers, built once on <see cref="IAsyncBackend"/>.</summary>
public static class AsyncBackendExtensions
{
    /// <summary>Blocks the calling thread while <paramref name="main"/> runs on the backend, and returns its result (AnyIO's <c>run</c>).</summary>
    /// <remarks>Do not call it from the backend's own loop thread: it would wait for itself.</remarks>
    public static T Run<T>(this IAsyncBackend backend, Func<CancellationToken, Task<T>> main)
    {
        ArgumentNullException.ThrowIfNull(backend);
        return backend.RunAsync(main).GetAwaiter().GetResult();
    }

    /// <summary>Blocks the calling thread while <paramref name="main"/> runs on the backend.</summary>
    public static void Run(this IAsyncBackend backend, Func<CancellationToken, Task> main)
    {
        ArgumentNullException.ThrowIfNull(backend);
        backend.RunAsync(main).GetAwaiter().GetResult();
    }

    /// <summary>Runs <paramref name="main"/> on the backend; the task completes when it does.</summary>
    public static Task RunAsync(this IAsyncBackend backend, Func<CancellationToken, Task> main, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(main);
        return backend.RunAsync<object?>(async token => { await main(token); return null; }, cancellationToken);
    }

    /// <summary>Sleeps for <paramref name="delay"/> on the backend's clock.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delay"/> is negative (other than <see cref="Timeout.InfiniteTimeSpan"/>).</exception>
    public static Task SleepAsync(this IAsyncBackend backend, TimeSpan delay, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (delay != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        }

        return Task.Delay(delay, backend.TimeProvider, cancellationToken);
    }

    /// <summary>Runs <paramref name="body"/> with a deadline <paramref name="delay"/> from now on the backend's clock; returns true if the deadline cut it short.</summary>
    public static Task<bool> MoveOnAfterAsync(this IAsyncBackend backend, TimeSpan delay, Func<CancellationToken, Task> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        return CancelScope.MoveOnAfterAsync(delay, body, backend.TimeProvider, cancellationToken);
    }

    /// <summary>Runs <paramref name="body"/> with a deadline <paramref name="delay"/> from now on the backend's clock.</summary>
    /// <exception cref="TimeoutException">The deadline fired.</exception>
    public static Task FailAfterAsync(this IAsyncBackend backend, TimeSpan delay, Func<CancellationToken, Task> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        return CancelScope.FailAfterAsync(delay, body, backend.TimeProvider, cancellationToken);
    }

    /// <summary>Runs <paramref name="body"/> with a deadline <paramref name="delay"/> from now on the backend's clock, returning its value.</summary>
    /// <exception cref="TimeoutException">The deadline fired.</exception>
    public static Task<T> FailAfterAsync<T>(this IAsyncBackend backend, TimeSpan delay, Func<CancellationToken, Task<T>> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        return CancelScope.FailAfterAsync(delay, body, backend.TimeProvider, cancellationToken);
    }

    /// <summary>
    /// Connects to <paramref name="host"/>:<paramref name="port"/>: an address literal directly, a name through the
    /// backend's resolver and then Happy Eyeballs (RFC 8305) over every address it returns.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="port"/> is not in 1..65535.</exception>
    /// <exception cref="NameResolutionException">The host does not resolve.</exception>
    /// <exception cref="SocketException">No address accepted the connection; the message lists every attempt.</exception>
    public static async ValueTask<ISocketStream> ConnectTcpAsync(this IAsyncBackend backend, string host, int port, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        cancellationToken.ThrowIfCancellationRequested();

        using Activity? activity = Telemetry.Source.StartActivity(AnyNetTelemetry.ConnectActivity, ActivityKind.Client);
        activity?.SetTag(AnyNetTelemetry.ServerAddressTag, host)
            .SetTag(AnyNetTelemetry.ServerPortTag, port)
            .SetTag(AnyNetTelemetry.NetworkTransportTag, "tcp");
        long started = Telemetry.ConnectMetricsEnabled ? Stopwatch.GetTimestamp() : 0;
        try
        {
            IPAddress[] addresses = IPAddress.TryParse(host, out IPAddress? literal)
                ? [literal]
                : await backend.ResolveAsync(host, AddressFamily.Unspecified, cancellationToken);
            ISocketStream stream = addresses.Length == 1
                ? await Internal.HappyEyeballs.AttemptAsync(backend, new IPEndPoint(addresses[0], port), cancellationToken)
                : await Internal.HappyEyeballs.ConnectAsync(backend, host, addresses, port, cancellationToken);
            Telemetry.RecordConnect(host, port, started, error: null);
            return stream;
        }
        catch (Exception error)
        {
            Telemetry.Fail(activity, error);
            Telemetry.RecordConnect(host, port, started, error);
            throw;
        }
    }

    /// <summary>
    /// Connects to <paramref name="host"/>:<paramref name="port"/> as the plain overload does (Happy Eyeballs over every
    /// address of a name), then applies <paramref name="options"/> (for example <see cref="ConnectOptions.KeepAlive"/>)
    /// to the connection before returning it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An option has a value the kernel would refuse; the parameter names it.</exception>
    /// <exception cref="PlatformNotSupportedException">Keepalive was asked for on a platform other than Linux.</exception>
    /// <exception cref="NotSupportedException">The backend lacks <see cref="BackendCapabilities.TypedAttributes"/> (socket options).</exception>
    public static async ValueTask<ISocketStream> ConnectTcpAsync(this IAsyncBackend backend, string host, int port, ConnectOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        Internal.ConnectOptionsApplier.ThrowIfUnsupported(options);
        ISocketStream stream = await backend.ConnectTcpAsync(host, port, cancellationToken);
        return await Internal.ConnectOptionsApplier.ApplyAsync(stream, options);
    }

    /// <summary>
    /// Connects to <paramref name="remoteEndPoint"/> (<see cref="IAsyncBackend.ConnectTcpAsync(IPEndPoint, CancellationToken)"/>),
    /// then applies <paramref name="options"/> (for example <see cref="ConnectOptions.KeepAlive"/>) to the connection
    /// before returning it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An option has a value the kernel would refuse; the parameter names it.</exception>
    /// <exception cref="PlatformNotSupportedException">Keepalive was asked for on a platform other than Linux.</exception>
    /// <exception cref="NotSupportedException">The backend lacks <see cref="BackendCapabilities.TypedAttributes"/> (socket options).</exception>
    public static async ValueTask<ISocketStream> ConnectTcpAsync(this IAsyncBackend backend, IPEndPoint remoteEndPoint, ConnectOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(remoteEndPoint);
        Internal.ConnectOptionsApplier.ThrowIfUnsupported(options);
        ISocketStream stream = await backend.ConnectTcpAsync(remoteEndPoint, cancellationToken);
        return await Internal.ConnectOptionsApplier.ApplyAsync(stream, options);
    }

    /// <summary>
    /// Accepts connections until <paramref name="cancellationToken"/> is cancelled or the listener is disposed, running
    /// <paramref name="handler"/> for each in a task group child and disposing each stream when its handler ends.
    /// </summary>
    /// <remarks>
    /// Cancelling the token stops accepting, cancels every handler and closes every connection, then throws
    /// <see cref="OperationCanceledException"/>. Disposing the listener stops accepting but lets running handlers finish
    /// (a graceful drain). A handler that throws fails the server: wrap it to keep serving after errors. At most
    /// <see cref="ServeLimits.Connections"/> connections are served at once in the whole process (derived from
    /// <c>RLIMIT_NOFILE</c>, read again before each accept); at the limit, new connections wait in the listen backlog.
    /// On a loop backend with several loops, each handler runs on the loop that owns its connection
    /// (<see cref="TypedAttributes.LoopContext"/>), so handlers of different connections may run in parallel.
    /// </remarks>
    /// <exception cref="TaskGroupException">A handler failed, or accepting failed.</exception>
    public static Task ServeAsync<TStream>(this IListener<TStream> listener, Func<TStream, CancellationToken, Task> handler, CancellationToken cancellationToken = default)
        where TStream : IAsyncDisposable
    {
        ArgumentNullException.ThrowIfNull(listener);
        ArgumentNullException.ThrowIfNull(handler);
        CapacityLimiter limit = ServeLimits.Connections;
        return TaskGroup.RunAsync(async group =>
        {
            while (true)
            {
                // A token is taken before the accept, so at the limit nothing is accepted: connections wait in the
                // listen backlog rather than costing a descriptor the process may not have (see ServeLimits).
                // The descriptor limit may have been lowered (or raised) since the last accept: follow it.
                ServeLimits.Refresh();
                var slot = new object();
                await limit.AcquireOnBehalfOfAsync(slot, group.Token);
                TStream stream;
                try
                {
                    stream = await listener.AcceptAsync(group.Token);
                }
                catch (ClosedResourceException) when (!group.IsCancellationRequested)
                {
                    limit.ReleaseOnBehalfOf(slot);
                    return;
                }
                catch
                {
                    limit.ReleaseOnBehalfOf(slot);
                    throw;
                }

                // On a backend with several loops the connection belongs to one of them: its handler runs there.
                group.StartOn(LoopAffinity.Of(stream), async token =>
                {
                    try
                    {
                        await using (stream)
                        {
                            await handler(stream, token);
                        }
                    }
                    finally
                    {
                        limit.ReleaseOnBehalfOf(slot);
                    }
                });
            }
        }, cancellationToken);
    }
}
