using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using AnyNet.Backends;
using AnyNet.Diagnostics;
using AnyNet.Diagnostics.Internal;
using AnyNet.Hosting.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AnyNet.Hosting;

/// <summary>
/// One hosted server registered with <c>AddAnyNetServer</c>: listens when the host starts, serves each connection on
/// the backend's scheduler through its handler, and on shutdown stops accepting, drains, then closes what is left.
/// </summary>
/// <remarks>
/// Every registered server can be read from the container as <see cref="AnyNetServer"/> (for example to learn the
/// port bound for <c>tcp:127.0.0.1:0</c>). Shutdown: the listener is closed, open connections get the drain timeout
/// to finish; after it their handlers' tokens are cancelled and their connections closed.
/// </remarks>
public sealed class AnyNetServer : IHostedLifecycleService, IAsyncDisposable, IDisposable
{
    // The error.type of a connection closed unserved at the server's connection limit.
    private const string ConnectionLimitError = "connection_limit";

    // Span tags of AnyNet's own: OpenTelemetry has network.peer.port, and no convention for a connection's number.
    private const string PeerPortTag = "network.peer.port";
    private const string ConnectionIdTag = "anynet.connection.id";

    // After the host's own shutdown timeout has already expired, forced closes still get this long to complete.
    private static readonly TimeSpan s_forcedCloseGrace = TimeSpan.FromSeconds(1);

    private readonly ServerDefinition _definition;
    private readonly IServiceProvider _services;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _forceClose = new();
    private readonly Lock _stopGate = new();
    private readonly BackendEventLog _backendEvents = new();
    private (Task ListenerClosed, Task Stopped)? _stop;
    private IAsyncBackend? _backend;
    private AnyNetMetrics? _metrics;
    private TimeProvider _timeProvider = TimeProvider.System;
    private TimeSpan _drainTimeout;
    private TagList _tags;
    private string _endPointText;
    private ISocketListener? _listener;
    private volatile GuardedListener? _guarded;
    private EndPoint? _boundEndPoint;
    private volatile bool _listening;
    private Task? _serving;
    private int _started;
    private int _disposed;
    private volatile bool _stopping;
    private long _connectionIds;
    private long _active;
    private long _served;
    private long _failed;
    private long _forceClosed;
    private long _rejected;
    private long _acceptErrors;

    internal AnyNetServer(ServerDefinition definition, IServiceProvider services)
    {
        _definition = definition;
        _services = services;
        _logger = services.GetService<ILoggerFactory>()?.CreateLogger<AnyNetServer>() ?? NullLogger<AnyNetServer>.Instance;
        _endPointText = definition.EndPoint.ToString();
    }

    /// <summary>The endpoint the server was registered with.</summary>
    public AnyNetEndPoint EndPoint => _definition.EndPoint;

    /// <summary>The endpoint the server is bound to (with the real port for port 0), or null before it has started.</summary>
    public AnyNetEndPoint? LocalEndPoint { get; private set; }

    /// <summary>The name of the backend the server runs on, or null before it has started.</summary>
    public string? BackendName => _backend?.Name;

    /// <summary>The number of connections being served now.</summary>
    public long ActiveConnections => Interlocked.Read(ref _active);

    /// <summary>True while the server listens: from a successful start until it stops accepting (or stops serving because of a failure).</summary>
    public bool IsListening => _listening && !_stopping;

    /// <summary>
    /// True while the server is backing off after failed accepts (for example the process ran out of file descriptors):
    /// it still listens, but new connections wait in the listen backlog until an accept succeeds again.
    /// </summary>
    public bool IsBackingOff => IsListening && (_guarded?.IsBackingOff == true || _backendEvents.IsBackingOff);

    /// <summary>Binds the listener and starts serving. A bind failure throws, with the endpoint in the message, and fails the host's start.</summary>
    /// <exception cref="IOException">The endpoint could not be bound; the backend's error is the inner exception.</exception>
    /// <remarks>
    /// Calling it again after it succeeded does nothing, so that <see cref="AnyNetHost.RunAsync(Func{IHost}, TextWriter?, CancellationToken)"/>
    /// can bind every server before the host starts (and report a bind failure in one line) and the host's own start
    /// then finds them listening.
    /// </remarks>
    /// <exception cref="InvalidOperationException">An earlier start failed or was cancelled.</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            if (_listener is not null && !_stopping)
            {
                return;
            }

            throw new InvalidOperationException($"The AnyNet server on {EndPoint} was already started.");
        }

        IAsyncBackend backend = _services.GetRequiredService<IAsyncBackend>();
        _backend = backend;
        _timeProvider = backend.TimeProvider;
        _metrics = _services.GetRequiredService<AnyNetMetrics>();
        _drainTimeout = _definition.Options.DrainTimeout ?? _services.GetRequiredService<IOptions<AnyNetOptions>>().Value.DrainTimeout;

        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task serving = RunAsync(backend, listening);
        _serving = serving;
        try
        {
            await listening.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host gave up starting: end the serve task; a later StopAsync waits for it.
            _stopping = true;
            await _forceClose.CancelAsync();
            throw;
        }
        catch (Exception)
        {
            // The bind failed and the serve task has ended: there is nothing for StopAsync to stop.
            _serving = null;
            throw;
        }

        _ = ObserveAsync(serving);
    }

    /// <inheritdoc />
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Stops accepting and starts the drain. The host calls this on every hosted service before it stops any of them,
    /// so all servers of a host stop accepting together and drain side by side, instead of one server accepting new
    /// connections while another drains.
    /// </summary>
    /// <param name="cancellationToken">The host's shutdown timeout: when it fires, the drain ends at once.</param>
    public Task StoppingAsync(CancellationToken cancellationToken) => BeginStop(cancellationToken).ListenerClosed;

    /// <summary>Stops accepting (unless <see cref="StoppingAsync"/> did), then waits until open connections have finished within the drain timeout, or been cancelled and closed after it.</summary>
    /// <param name="cancellationToken">The host's shutdown timeout: when it fires, the drain ends at once.</param>
    public Task StopAsync(CancellationToken cancellationToken) => BeginStop(cancellationToken).Stopped;

    /// <inheritdoc />
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Cancels whatever still runs (normally nothing: the host stopped the server first).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopping = true;
        await _forceClose.CancelAsync();
        _forceClose.Dispose();
    }

    /// <inheritdoc cref="DisposeAsync"/>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopping = true;
        _forceClose.Cancel();
        _forceClose.Dispose();
    }

    private (Task ListenerClosed, Task Stopped) BeginStop(CancellationToken cancellationToken)
    {
        lock (_stopGate)
        {
            if (_stop is null)
            {
                Task? serving = _serving;
                if (serving is null)
                {
                    // Never started: nothing to stop.
                    _stop = (Task.CompletedTask, Task.CompletedTask);
                }
                else
                {
                    _stopping = true;
                    var listenerClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    _stop = (listenerClosed.Task, StopSequenceAsync(serving, listenerClosed, cancellationToken));
                }
            }

            return _stop.Value;
        }
    }

    private async Task StopSequenceAsync(Task serving, TaskCompletionSource listenerClosed, CancellationToken cancellationToken)
    {
        long stopStarted = _timeProvider.GetTimestamp();
        try
        {
            await CloseListenerAsync();
        }
        finally
        {
            listenerClosed.TrySetResult();
        }

        Log.ServerStopping(_logger, _endPointText, ActiveConnections, _drainTimeout);
        if (!await WaitAsync(serving, _drainTimeout, cancellationToken))
        {
            Log.DrainTimeoutExpired(_logger, _endPointText, ActiveConnections, _drainTimeout);
            await _forceClose.CancelAsync();

            bool hostTimedOut = cancellationToken.IsCancellationRequested;
            if (!await WaitAsync(serving, hostTimedOut ? s_forcedCloseGrace : Timeout.InfiniteTimeSpan, hostTimedOut ? CancellationToken.None : cancellationToken))
            {
                Log.ShutdownAbandoned(_logger, _endPointText, ActiveConnections);
            }
        }

        Log.ServerStopped(
            _logger,
            _endPointText,
            _timeProvider.GetElapsedTime(stopStarted).TotalMilliseconds,
            Interlocked.Read(ref _served),
            Interlocked.Read(ref _failed),
            Interlocked.Read(ref _forceClosed),
            Interlocked.Read(ref _rejected),
            Interlocked.Read(ref _acceptErrors));
    }

    private async Task RunAsync(IAsyncBackend backend, TaskCompletionSource listening)
    {
        try
        {
            await backend.RunAsync(token => ServeAsync(backend, listening, token), _forceClose.Token);
        }
        catch (Exception error)
        {
            // Before listening (the bind failed, or the backend would not run) the error is StartAsync's to throw.
            if (!listening.TrySetException(error))
            {
                throw;
            }
        }
        finally
        {
            listening.TrySetException(new InvalidOperationException($"The AnyNet server on {EndPoint} ended before it listened."));
        }
    }

    private async Task ServeAsync(IAsyncBackend backend, TaskCompletionSource listening, CancellationToken cancellationToken)
    {
        if (_definition.Options.RemoveStaleUnixSocket && EndPoint.UnixPath is { } path)
        {
            await RemoveStaleUnixSocketAsync(backend, path, cancellationToken);
        }

        ISocketListener listener;
        try
        {
            listener = backend.Listen(EndPoint, new ListenOptions { Backlog = _definition.Options.Backlog, ReusePort = _definition.Options.ReusePort, KeepAlive = _definition.Options.KeepAlive });
        }
        catch (Exception error)
        {
            string source = _definition.Options.ConfigurationKey is { } key ? $" ({key})" : string.Empty;
            string hint = EndPoint.UnixPath is { } socketPath && !_definition.Options.RemoveStaleUnixSocket && IsSocketFile(socketPath)
                ? $" (the socket file {socketPath} exists: if a crashed process left it, set RemoveStaleUnixSocket to remove it when nothing listens on it)"
                : string.Empty;
            throw new IOException($"The AnyNet server could not listen on {EndPoint}{source} with the '{backend.Name}' backend: {error.Message}{hint}", error);
        }

        try
        {
            LocalEndPoint = Describe(listener.LocalEndPoint) ?? EndPoint;
            _endPointText = LocalEndPoint.ToString();
            _boundEndPoint = listener.LocalEndPoint;
            _tags = AnyNetMetrics.Tags(backend.Name, _boundEndPoint);
            _listener = listener;
            _backendEvents.Attach(_logger, listener.LocalEndPoint.ToString() ?? string.Empty, _endPointText);
            Log.ServerStarted(_logger, _endPointText, backend.Name);
            var guarded = new GuardedListener(listener, backend.TimeProvider, OnAcceptError);
            _guarded = guarded;
            _listening = true;
            listening.TrySetResult();

            await guarded.ServeAsync(ServeConnectionAsync, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Forced close after the drain timeout, or the backend was disposed: every connection has been closed.
        }
        finally
        {
            _listening = false;
            await listener.DisposeAsync();
            _backendEvents.Dispose();
        }
    }

    private async Task ServeConnectionAsync(ISocketStream stream, CancellationToken cancellationToken)
    {
        AnyNetMetrics metrics = _metrics!;
        long id = Interlocked.Increment(ref _connectionIds);
        EndPoint? remote = RemoteOf(stream);

        // The connection's span is current while its handler runs, so the handler's own spans are its children. Both
        // spans are null, at the cost of two checks, unless something listens to the AnyNet ActivitySource.
        using Activity? connectionSpan = StartSpan(AnyNetTelemetry.ServerConnectionActivity, ActivityKind.Server, id, remote);
        Activity? acceptSpan = StartSpan(AnyNetTelemetry.AcceptActivity, ActivityKind.Internal, id, remote);
        long active = Interlocked.Increment(ref _active);
        if (_definition.Options.MaxConnections is int max && active > max)
        {
            Interlocked.Decrement(ref _active);
            Interlocked.Increment(ref _rejected);
            metrics.RejectedConnections.Add(1, _tags);
            Log.ConnectionRejected(_logger, remote, _endPointText, max);
            FailSpan(acceptSpan, ConnectionLimitError);
            FailSpan(connectionSpan, ConnectionLimitError);
            acceptSpan?.Dispose();
            await stream.DisposeAsync();
            return;
        }

        Interlocked.Increment(ref _served);
        metrics.ActiveConnections.Add(1, _tags);
        long started = _timeProvider.GetTimestamp();
        Log.ConnectionAccepted(_logger, id, remote, _endPointText);
        var connection = new CountingSocketStream(stream, metrics, _tags, _timeProvider);
        IdleTimeoutWatch? idle = _definition.Options.IdleTimeout is TimeSpan idleTimeout
            ? new IdleTimeoutWatch(_timeProvider, idleTimeout, connection, () =>
            {
                Log.IdleTimeout(_logger, id, remote, _endPointText, idleTimeout);
                _ = stream.DisposeAsync().AsTask();
            })
            : null;
        Exception? failure = null;
        acceptSpan?.Dispose();
        try
        {
            failure = await RunHandlerAsync(stream, connection, id, remote, idle, cancellationToken);
        }
        finally
        {
            idle?.Dispose();
            // Closed here rather than by ServeAsync so that the metrics and the log below describe a closed connection.
            await stream.DisposeAsync();
            Interlocked.Decrement(ref _active);
            metrics.ActiveConnections.Add(-1, _tags);
            TimeSpan elapsed = _timeProvider.GetElapsedTime(started);
            metrics.ConnectionDuration.Record(elapsed.TotalSeconds, failure is null ? _tags : AnyNetMetrics.WithError(_tags, failure));
            Log.ConnectionClosed(_logger, id, remote, elapsed.TotalMilliseconds, connection.BytesReceived, connection.BytesSent);
            if (connectionSpan is not null)
            {
                connectionSpan.SetTag(AnyNetInstrumentation.BytesReceived, connection.BytesReceived);
                connectionSpan.SetTag(AnyNetInstrumentation.BytesSent, connection.BytesSent);
                if (failure is not null)
                {
                    Telemetry.Fail(connectionSpan, failure);
                }
            }
        }
    }

    private Activity? StartSpan(string name, ActivityKind kind, long id, EndPoint? remote)
    {
        if (!Telemetry.Source.HasListeners())
        {
            return null;
        }

        if (kind == ActivityKind.Server)
        {
            // A connection's span is a root: not a child of whatever span was current when the server started.
            Activity.Current = null;
        }

        Activity? span = Telemetry.Source.StartActivity(name, kind);
        if (span is { IsAllDataRequested: true })
        {
            Telemetry.SetEndPointTags(span, _boundEndPoint);
            span.SetTag(AnyNetInstrumentation.BackendTag, _backend?.Name);
            span.SetTag(ConnectionIdTag, id);
            if (remote is IPEndPoint ip)
            {
                span.SetTag(AnyNetTelemetry.PeerAddressTag, (ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address).ToString());
                span.SetTag(PeerPortTag, ip.Port);
            }
        }

        return span;
    }

    private static void FailSpan(Activity? span, string errorType)
    {
        if (span is not null)
        {
            span.SetTag(AnyNetTelemetry.ErrorTypeTag, errorType);
            span.SetStatus(ActivityStatusCode.Error, errorType);
        }
    }

    private async Task<Exception?> RunHandlerAsync(ISocketStream stream, CountingSocketStream connection, long id, EndPoint? remote, IdleTimeoutWatch? idle, CancellationToken cancellationToken)
    {
        Task handling = InvokeHandlerAsync(connection, cancellationToken);
        Task<bool>? endedAfterCancel = null;
        if (!handling.IsCompleted)
        {
            // Whether the server's cancellation ended the handler is decided the moment the handler ends: on a loop
            // backend the cancellation can end a handler blocked in a receive before this method resumes below, so
            // checking here whether it still runs would miss it (and report 0 connections force-closed).
            endedAfterCancel = handling.ContinueWith(
                static (_, state) => ((CancellationTokenSource)state!).IsCancellationRequested,
                _forceClose,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
            var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (cancellationToken.UnsafeRegister(static s => ((TaskCompletionSource)s!).TrySetResult(), cancelled))
            {
                await Task.WhenAny(handling, cancelled.Task);
            }

            if (!handling.IsCompleted)
            {
                // The drain timeout expired (or the backend is being disposed). Closing the connection as well as
                // cancelling the token wakes a handler blocked in a receive or send that does not watch the token.
                // This runs on the backend's scheduler, where the connection lives.
                await stream.DisposeAsync();
            }
        }

        if (endedAfterCancel is not null && await endedAfterCancel)
        {
            Interlocked.Increment(ref _forceClosed);
        }

        try
        {
            await handling;
            return null;
        }
        catch (Exception error) when (cancellationToken.IsCancellationRequested || idle?.Fired == true)
        {
            // The server ended the connection; whatever the handler then threw is a consequence, not its failure.
            Log.HandlerEndedAfterClose(_logger, id, remote, error.GetType().FullName);
            return null;
        }
        catch (Exception error) when (IsPeerLoss(error))
        {
            // A peer that resets or vanishes is part of a server's normal life (Kestrel logs it at Debug too): no
            // stack trace, and not a handler failure.
            Log.ConnectionLost(_logger, id, remote, _endPointText, error.Message);
            return error;
        }
        catch (Exception error)
        {
            Interlocked.Increment(ref _failed);
            Log.HandlerFailed(_logger, error, id, remote, _endPointText);
            return error;
        }
    }

    private async Task InvokeHandlerAsync(ISocketStream connection, CancellationToken cancellationToken)
    {
        await using AsyncServiceScope scope = _services.CreateAsyncScope();
        await _definition.Handler(scope.ServiceProvider, connection, cancellationToken);
    }

    private void OnAcceptError(Exception error)
    {
        Interlocked.Increment(ref _acceptErrors);
        _metrics!.AcceptErrors.Add(1, AnyNetMetrics.WithError(_tags, error));
        Log.AcceptFailed(_logger, error, _endPointText);
        if (Telemetry.Source.HasListeners())
        {
            // A failed accept has no connection: its span stands alone, failed.
            using Activity? span = Telemetry.Source.StartActivity(AnyNetTelemetry.AcceptActivity, ActivityKind.Internal);
            if (span is not null)
            {
                Telemetry.SetEndPointTags(span, _boundEndPoint);
                span.SetTag(AnyNetInstrumentation.BackendTag, _backend?.Name);
                Telemetry.Fail(span, error);
            }
        }
    }

    private async Task CloseListenerAsync()
    {
        ISocketListener? listener = _listener;
        IAsyncBackend? backend = _backend;
        if (listener is null || backend is null)
        {
            return;
        }

        try
        {
            // The listener belongs to the backend's scheduler (a loop thread for loop backends): close it there.
            await backend.RunAsync(async _ => await listener.DisposeAsync(), CancellationToken.None);
        }
        catch (ObjectDisposedException)
        {
            // The backend was already disposed, which cancelled the server and closed the listener.
        }
    }

    private async Task<bool> WaitAsync(Task task, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (task.IsCompleted)
        {
            return true;
        }

        using var stopDelay = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task delay = Task.Delay(timeout, _timeProvider, stopDelay.Token);
        Task first = await Task.WhenAny(task, delay);
        await stopDelay.CancelAsync();
        return first == task || task.IsCompleted;
    }

    private async Task ObserveAsync(Task serving)
    {
        Exception? error = null;
        try
        {
            await serving;
        }
        catch (Exception e)
        {
            error = e;
        }

        if (!_stopping)
        {
            Log.ServerFaulted(_logger, error, _endPointText);
            _services.GetService<IHostApplicationLifetime>()?.StopApplication();
        }
    }

    /// <summary>
    /// Removes the socket file at <paramref name="path"/> if it is stale: a connect to it is refused (ECONNREFUSED),
    /// which for a Unix socket means no socket listens on it (unix(7)); a live listener accepts the connect, even with a
    /// full backlog it does not refuse but blocks or says EAGAIN, so its file is never removed.
    /// </summary>
    private async Task RemoveStaleUnixSocketAsync(IAsyncBackend backend, string path, CancellationToken cancellationToken)
    {
        if (!IsSocketFile(path))
        {
            return;
        }

        try
        {
            ISocketStream probe = await backend.ConnectUnixAsync(path, cancellationToken);
            await probe.DisposeAsync();

            // Something listens: leave its file alone; the bind below fails and says so.
            return;
        }
        catch (SocketException error) when (error.SocketErrorCode == SocketError.ConnectionRefused)
        {
        }
        catch (Exception error) when (error is SocketException or IOException or UnauthorizedAccessException)
        {
            // Not provably stale (no permission, gone already...): leave it; the bind reports what is wrong.
            return;
        }

        try
        {
            File.Delete(path);
            Log.StaleUnixSocketRemoved(_logger, path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // The bind below fails and names the path.
        }
    }

    // Only a socket can be stale: a regular file at that path is someone's data (connect(2) refuses it just the same).
    private static bool IsSocketFile(string path) => AnyNet.Backends.Internal.UnixSocketFiles.IsSocket(path);

    private static bool IsPeerLoss(Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            if (e is BrokenResourceException or EndOfStreamException
                || (e is SocketException socketError && SocketErrors.IsConnectionFailure(socketError.SocketErrorCode)))
            {
                return true;
            }
        }

        return false;
    }

    private static AnyNetEndPoint? Describe(EndPoint? endPoint)
    {
        try
        {
            return endPoint is null ? null : AnyNetEndPoint.FromEndPoint(endPoint);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static EndPoint? RemoteOf(ISocketStream stream)
    {
        try
        {
            return stream.RemoteEndPoint;
        }
        catch (ObjectDisposedException)
        {
            // The peer may already be gone and the stream closed by the time the handler starts.
            return null;
        }
    }
}
