using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace AnyNet;

/// <summary>
/// Several listeners as one (AnyIO's <c>MultiListener</c>): <see cref="AcceptAsync"/> returns the next connection of any
/// of them, <see cref="LocalEndPoints"/> lists every bound address, and disposing disposes them all. Listening on
/// <c>tcp:PORT</c> or on a host name with several addresses returns one.
/// </summary>
/// <remarks>
/// An accept starts an accept on every listener and cancels the others when the first one completes. A connection that
/// one of the cancelled accepts still took is kept and returned by the next accept (or closed on dispose), so a
/// connection is never lost, and a cancelled accept never returns one.
/// </remarks>
public sealed class MultiListener : ISocketListener
{
    private readonly ISocketListener[] _listeners;
    private readonly Queue<ISocketStream> _ready = new();
    private readonly object _gate = new();
    private bool _accepting;
    private bool _disposed;

    /// <summary>Combines <paramref name="listeners"/>; the multi-listener owns them from now on.</summary>
    /// <exception cref="ArgumentException">No listener, or a null one.</exception>
    public MultiListener(IEnumerable<ISocketListener> listeners)
    {
        ArgumentNullException.ThrowIfNull(listeners);
        _listeners = [.. listeners];
        if (_listeners.Length == 0)
        {
            throw new ArgumentException("A MultiListener needs at least one listener.", nameof(listeners));
        }

        if (Array.IndexOf(_listeners, null) >= 0)
        {
            throw new ArgumentException("A MultiListener's listeners cannot be null.", nameof(listeners));
        }

        LocalEndPoints = [.. _listeners.Select(listener => listener.LocalEndPoint)];
    }

    /// <summary>The combined listeners, in the order given.</summary>
    public IReadOnlyList<ISocketListener> Listeners => _listeners;

    /// <summary>The address of every listener, in the order given.</summary>
    public IReadOnlyList<EndPoint> LocalEndPoints { get; }

    /// <summary>The first listener's address (for TCP they all share its port when made by <c>ListenTcpAsync</c> or <c>tcp:PORT</c>).</summary>
    public EndPoint LocalEndPoint => LocalEndPoints[0];

    /// <inheritdoc/>
    public async ValueTask<ISocketStream> AcceptAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                throw new ClosedResourceException("This listener was closed.");
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (_accepting)
            {
                throw BusyResourceException.For("accepting");
            }

            if (_ready.TryDequeue(out ISocketStream? waiting))
            {
                return waiting;
            }

            _accepting = true;
        }

        try
        {
            return await AcceptFromAnyAsync(cancellationToken);
        }
        finally
        {
            lock (_gate)
            {
                _accepting = false;
            }
        }
    }

    private async Task<ISocketStream> AcceptFromAnyAsync(CancellationToken cancellationToken)
    {
        using var race = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var accepts = new Task<ISocketStream>[_listeners.Length];
        for (int i = 0; i < accepts.Length; i++)
        {
            accepts[i] = _listeners[i].AcceptAsync(race.Token).AsTask();
        }

        try
        {
            await Task.WhenAny(accepts);
        }
        finally
        {
            await race.CancelAsync();
        }

        // Every accept ends (the others by the cancellation); keep every connection any of them took.
        Exception? failure = null;
        var accepted = new List<ISocketStream>();
        foreach (Task<ISocketStream> accept in accepts)
        {
            try
            {
                accepted.Add(await accept);
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception error)
            {
                failure ??= error;
            }
        }

        bool closed;
        lock (_gate)
        {
            closed = _disposed;
            if (!closed)
            {
                foreach (ISocketStream stream in accepted)
                {
                    _ready.Enqueue(stream);
                }
            }
        }

        if (closed)
        {
            foreach (ISocketStream stream in accepted)
            {
                await stream.DisposeAsync();
            }

            throw new ClosedResourceException("This listener was closed while accepting.", failure);
        }

        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            if (_ready.TryDequeue(out ISocketStream? first))
            {
                return first;
            }
        }

        throw failure ?? new InvalidOperationException("No listener accepted and none failed.");
    }

    /// <summary>Answers <see cref="TypedAttributes.LocalEndPoint"/> (the first listener's) and forwards the rest to the first listener.</summary>
    public bool TryGetAttribute<T>(TypedAttribute<T> attribute, [MaybeNullWhen(false)] out T value) =>
        TypedAttributes.Forward(_listeners[0], attribute, out value);

    /// <summary>Sets the option on every listener.</summary>
    public void SetOption(int level, int name, ReadOnlySpan<byte> value)
    {
        foreach (ISocketListener listener in _listeners)
        {
            listener.SetOption(level, name, value);
        }
    }

    /// <summary>Reads the option of the first listener.</summary>
    public int GetOption(int level, int name, Span<byte> value) => _listeners[0].GetOption(level, name, value);

    /// <summary>Disposes every listener and every connection accepted but not yet returned.</summary>
    public async ValueTask DisposeAsync()
    {
        ISocketStream[] pending;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            pending = [.. _ready];
            _ready.Clear();
        }

        foreach (ISocketListener listener in _listeners)
        {
            await listener.DisposeAsync();
        }

        foreach (ISocketStream stream in pending)
        {
            await stream.DisposeAsync();
        }
    }
}
