using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using AnyNet.Portals.Internal;

namespace AnyNet;

/// <summary>
/// The way back in: lets code on any other thread (a worker thread, a synchronous library callback, a plain
/// <c>Main</c>) run async code on a running backend, blocking until it completes (<see cref="Call{T}"/>) or getting a
/// task (<see cref="CallAsync{T}"/>). AnyIO's blocking portal.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Start"/> makes a backend and runs it on a new thread for as long as the portal lives; the constructor
/// opens a portal into a backend that is already running. The portal serves calls from one long-lived <c>main</c> on
/// the backend, each call as a child of a task group: calls run concurrently, on the backend's scheduler (on a loop
/// backend: its loop thread), and each gets a token cancelled when the caller's token is or when the portal stops.
/// </para>
/// <para>
/// Exceptions come back intact: the caller gets the very exception object the work threw (type, message and stack
/// trace; the blocking form rethrows it with <see cref="System.Runtime.ExceptionServices.ExceptionDispatchInfo"/>).
/// Stopping the portal cancels every outstanding call (a call that had not started yet fails with
/// <see cref="OperationCanceledException"/>) and waits for them; later calls throw <see cref="ObjectDisposedException"/>.
/// </para>
/// <para>
/// A blocking call from the portal's own scheduler would wait for itself, so <see cref="Call{T}"/> (and
/// <see cref="Stop"/>) throw <see cref="InvalidOperationException"/> there instead: on a loop backend anywhere on the
/// loop thread, on a thread-pool backend inside the portal's calls. Use the async forms there.
/// </para>
/// </remarks>
public sealed class BlockingPortal : IAsyncDisposable, IDisposable
{
    private static readonly AsyncLocal<BlockingPortal?> s_insideCall = new();

    private readonly Channel<PortalCall> _calls = Channel.CreateUnbounded<PortalCall>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _serving = Task.CompletedTask;
    private volatile SynchronizationContext? _context;
    private int _stopRequested;

    /// <summary>Opens a portal into <paramref name="backend"/>, which keeps running (and belongs to the caller) after the portal stops.</summary>
    /// <remarks>The portal does not wait for the backend to pick up its serving task: calls made before then are queued.</remarks>
    public BlockingPortal(IAsyncBackend backend)
        : this(backend, serveNow: true)
    {
    }

    private BlockingPortal(IAsyncBackend backend, bool serveNow)
    {
        ArgumentNullException.ThrowIfNull(backend);
        Backend = backend;
        if (serveNow)
        {
            _serving = backend.RunAsync(ServeAsync, _stop.Token);
            _serving.ContinueWith(static (_, s) => ((BlockingPortal)s!).OnServingEnded(), this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>The backend the calls run on.</summary>
    public IAsyncBackend Backend { get; }

    /// <summary>True once the portal has stopped taking calls.</summary>
    public bool IsStopped => Volatile.Read(ref _stopRequested) != 0 || _serving.IsCompleted;

    /// <summary>
    /// Creates a backend with <paramref name="backendFactory"/> on a new thread, runs it there until the portal stops,
    /// and returns the portal once it serves calls. Stopping the portal disposes the backend and ends the thread.
    /// </summary>
    /// <remarks>An exception of the factory, or of the backend while starting, is rethrown here unchanged.</remarks>
    public static BlockingPortal Start(Func<IAsyncBackend> backendFactory)
    {
        ArgumentNullException.ThrowIfNull(backendFactory);
        var started = new TaskCompletionSource<BlockingPortal>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() => RunOwnedBackend(backendFactory, started))
        {
            IsBackground = true,
            Name = "AnyNet portal",
        };
        thread.Start();
        return started.Task.GetAwaiter().GetResult();
    }

    /// <summary>Runs <paramref name="work"/> on the backend and blocks the calling thread until it completes.</summary>
    /// <returns>The work's result.</returns>
    /// <exception cref="InvalidOperationException">Called from the portal's own scheduler, where it would wait for itself.</exception>
    /// <exception cref="ObjectDisposedException">The portal has stopped.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled, or the portal stopped, and the work gave up.</exception>
    public T Call<T>(Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken = default)
    {
        ThrowIfOnPortalScheduler("Call");
        return CallAsync(work, cancellationToken).GetAwaiter().GetResult();
    }

    /// <summary>Runs <paramref name="work"/> on the backend and blocks the calling thread until it completes.</summary>
    /// <exception cref="InvalidOperationException">Called from the portal's own scheduler, where it would wait for itself.</exception>
    /// <exception cref="ObjectDisposedException">The portal has stopped.</exception>
    public void Call(Func<CancellationToken, Task> work, CancellationToken cancellationToken = default)
    {
        ThrowIfOnPortalScheduler("Call");
        CallAsync(work, cancellationToken).GetAwaiter().GetResult();
    }

    /// <summary>Queues <paramref name="work"/> to run on the backend; the task completes with its outcome.</summary>
    /// <exception cref="ObjectDisposedException">The portal has stopped.</exception>
    public Task<T> CallAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }

        var call = new PortalCall<T>(work, cancellationToken);
        if (Volatile.Read(ref _stopRequested) != 0 || !_calls.Writer.TryWrite(call))
        {
            throw new ObjectDisposedException(nameof(BlockingPortal), "The portal has stopped; it takes no more calls.");
        }

        return call.Task;
    }

    /// <summary>Queues <paramref name="work"/> to run on the backend; the task completes with its outcome.</summary>
    /// <exception cref="ObjectDisposedException">The portal has stopped.</exception>
    public Task CallAsync(Func<CancellationToken, Task> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        return CallAsync<object?>(async token =>
        {
            await work(token);
            return null;
        }, cancellationToken);
    }

    /// <summary>Stops the portal: cancels outstanding calls, waits for them, and (for <see cref="Start"/>) disposes the backend.</summary>
    /// <exception cref="InvalidOperationException">Called from the portal's own scheduler, where it would wait for itself.</exception>
    public void Stop()
    {
        ThrowIfOnPortalScheduler("Stop");
        StopAsync().GetAwaiter().GetResult();
    }

    /// <summary>Stops the portal: cancels outstanding calls, waits for them, and (for <see cref="Start"/>) disposes the backend.</summary>
    /// <exception cref="InvalidOperationException">Called from inside one of the portal's own calls, which the stop would wait for.</exception>
    public async Task StopAsync()
    {
        if (s_insideCall.Value == this)
        {
            throw new InvalidOperationException("A portal cannot be stopped from inside one of its own calls: stopping waits for every call to end.");
        }

        if (Interlocked.Exchange(ref _stopRequested, 1) == 0)
        {
            _calls.Writer.TryComplete();
            await _stop.CancelAsync();
        }

        try
        {
            await _serving;
        }
        catch (OperationCanceledException)
        {
            // The backend was disposed under the portal: it has stopped all the same.
        }
        catch (ObjectDisposedException)
        {
            // The backend was disposed before the portal could start serving.
        }
    }

    /// <inheritdoc cref="StopAsync" />
    public ValueTask DisposeAsync() => new(StopAsync());

    /// <inheritdoc cref="Stop" />
    public void Dispose() => Stop();

    [SuppressMessage("Design", "CA1031", Justification = "Any failure of the factory or of the backend is handed to the thread that called Start.")]
    private static void RunOwnedBackend(Func<IAsyncBackend> backendFactory, TaskCompletionSource<BlockingPortal> started)
    {
        IAsyncBackend backend;
        try
        {
            backend = backendFactory() ?? throw new InvalidOperationException("The backend factory returned null.");
        }
        catch (Exception error)
        {
            started.TrySetException(error);
            return;
        }

        var portal = new BlockingPortal(backend, serveNow: false);
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        portal._serving = ended.Task;
        portal._ready.Task.ContinueWith(_ => started.TrySetResult(portal), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        Exception? failure = null;
        try
        {
            backend.RunAsync(portal.ServeAsync, portal._stop.Token).GetAwaiter().GetResult();
        }
        catch (Exception error) when (!portal._ready.Task.IsCompleted)
        {
            // The backend failed before it served: Start throws the error.
            started.TrySetException(error);
        }
        catch (OperationCanceledException) when (portal._stop.IsCancellationRequested)
        {
            // Stopping cancelled the backend's work; nothing went wrong.
        }
        catch (Exception error)
        {
            // The backend failed while serving: whoever stops the portal sees it.
            failure = error;
        }

        portal.OnServingEnded();
        try
        {
            backend.Dispose();
        }
        catch (Exception error)
        {
            failure ??= error;
        }

        if (failure is null)
        {
            ended.TrySetResult();
        }
        else
        {
            ended.TrySetException(failure);
        }
    }

    private Task<object?> ServeAsync(CancellationToken token)
    {
        if (SynchronizationContext.Current is { } loop)
        {
            return ServeCallsAsync(loop, token);
        }

        // A backend without a scheduler of its own: serve under a thread-pool context that marks the portal's work.
        var context = new PortalSynchronizationContext();
        var serving = new TaskCompletionSource<Task<object?>>(TaskCreationOptions.RunContinuationsAsynchronously);
        context.Post(_ => serving.SetResult(ServeCallsAsync(context, token)), null);
        return serving.Task.Unwrap();
    }

    private async Task<object?> ServeCallsAsync(SynchronizationContext context, CancellationToken token)
    {
        _context = context;
        _ready.TrySetResult();
        try
        {
            await TaskGroup.RunAsync(async group =>
            {
                while (await _calls.Reader.WaitToReadAsync(group.Token))
                {
                    while (_calls.Reader.TryRead(out PortalCall? call))
                    {
                        group.Start(t =>
                        {
                            s_insideCall.Value = this;
                            return call.RunAsync(t);
                        });
                    }
                }
            }, token);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stopping (or the backend's disposal) cancelled the outstanding calls; they have all ended.
        }

        return null;
    }

    private void OnServingEnded()
    {
        // Calls queued after the serving loop stopped reading never run: fail them rather than leave callers waiting.
        _calls.Writer.TryComplete();
        _ready.TrySetResult();
        while (_calls.Reader.TryRead(out PortalCall? call))
        {
            call.Reject(new OperationCanceledException("The portal stopped before the call could run."));
        }
    }

    private void ThrowIfOnPortalScheduler(string operation)
    {
        SynchronizationContext? context = _context;
        if (context is not null && SynchronizationContext.Current == context)
        {
            throw new InvalidOperationException(
                $"BlockingPortal.{operation} was called from the portal's own scheduler, where blocking would wait for itself; use the async form there, or call from another thread.");
        }
    }
}
