using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace AnyNet.AspNetCore.Internal;

/// <summary>
/// One Kestrel endpoint: an AnyNet listener on each loop (SO_REUSEPORT when there are several), an accept loop on each
/// loop's scheduler, and a bounded queue from which Kestrel takes the accepted connections.
/// </summary>
internal sealed class AnyNetConnectionListener : IConnectionListener
{
    private static long s_connectionNumber;

    private readonly (IAsyncBackend Backend, ISocketListener Listener)[] _loops;
    private readonly Channel<AnyNetConnection> _accepted;
    private readonly CancellationTokenSource _stopAccepting = new();
    private readonly ConcurrentDictionary<AnyNetConnection, byte> _live = new();
    private readonly MemoryPool<byte> _memoryPool;
    private readonly AnyNetTransportOptions _options;
    private readonly ILogger _logger;
    private readonly string _endPointText;
    private readonly Action<AnyNetConnection> _onClosed;
    private Task _accepting = Task.CompletedTask;
    private int _unbound;
    private int _disposed;

    private AnyNetConnectionListener((IAsyncBackend, ISocketListener)[] loops, MemoryPool<byte> memoryPool, AnyNetTransportOptions options, ILogger logger)
    {
        _loops = loops;
        _memoryPool = memoryPool;
        _options = options;
        _logger = logger;
        EndPoint = loops[0].Item2.LocalEndPoint;
        _endPointText = EndPoint.ToString() ?? "?";
        // Bounded: when Kestrel does not take connections, the accept loops wait and the kernel backlog holds the rest.
        _accepted = Channel.CreateBounded<AnyNetConnection>(new BoundedChannelOptions(Math.Max(16, options.Backlog))
        {
            SingleReader = true,
            SingleWriter = loops.Length == 1,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _onClosed = connection => _live.TryRemove(connection, out _);
    }

    public EndPoint EndPoint { get; }

    /// <summary>Binds <paramref name="endPoint"/> on every loop, or on the first only for a Unix socket.</summary>
    /// <exception cref="AddressInUseException">The address is in use; the message names it and the backend.</exception>
    public static async Task<AnyNetConnectionListener> BindAsync(
        EndPoint endPoint, IReadOnlyList<IAsyncBackend> loops, MemoryPool<byte> memoryPool, AnyNetTransportOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var bound = new List<(IAsyncBackend, ISocketListener)>();
        try
        {
            if (endPoint is IPEndPoint ip)
            {
                // Several loops share the port through SO_REUSEPORT; the kernel spreads new connections over them.
                // The first bind picks the port (for port 0), the others bind exactly that one.
                var listenOptions = new ListenOptions { Backlog = options.Backlog, ReusePort = loops.Count > 1 };
                IPEndPoint target = ip;
                foreach (IAsyncBackend loop in loops)
                {
                    IPEndPoint here = target;
                    ISocketListener listener = await ListenAsync(loop, here, b => b.ListenTcp(here, listenOptions), cancellationToken);
                    bound.Add((loop, listener));
                    target = (IPEndPoint)listener.LocalEndPoint;
                }
            }
            else if (endPoint is UnixDomainSocketEndPoint unix)
            {
                // SO_REUSEPORT means nothing for Unix sockets: one loop serves the path.
                string path = unix.ToString();
                var listenOptions = new ListenOptions { Backlog = options.Backlog };
                ISocketListener listener = await ListenAsync(loops[0], endPoint, b => b.ListenUnix(path, listenOptions), cancellationToken);
                bound.Add((loops[0], listener));
            }
            else
            {
                throw new NotSupportedException($"The AnyNet transport cannot bind {endPoint.GetType().Name} endpoints ({endPoint}); it binds IPEndPoint and UnixDomainSocketEndPoint.");
            }
        }
        catch
        {
            foreach ((IAsyncBackend loop, ISocketListener listener) in bound)
            {
                await DisposeOnLoopAsync(loop, listener);
            }

            throw;
        }

        var result = new AnyNetConnectionListener([.. bound], memoryPool, options, logger);
        result.StartAccepting();
        Log.Listening(logger, result._endPointText, loops[0].Name, bound.Count);
        return result;
    }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        // After UnbindAsync the queue is completed: connections already accepted are still handed out, then null.
        ChannelReader<AnyNetConnection> reader = _accepted.Reader;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (reader.TryRead(out AnyNetConnection? connection))
                {
                    return connection;
                }
            }
        }
        catch (ChannelClosedException)
        {
        }

        return null;
    }

    public async ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _unbound, 1) == 0)
        {
            await _stopAccepting.CancelAsync().ConfigureAwait(false);
        }

        // The token is not honoured: Kestrel passes an already-cancelled one when a later bind failed, and the accept
        // loops end promptly once cancelled anyway.
        await _accepting.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await UnbindAsync().ConfigureAwait(false);

        // Whatever Kestrel never took, and whatever is still open, is closed now.
        while (_accepted.Reader.TryRead(out AnyNetConnection? queued))
        {
            await queued.DisposeAsync().ConfigureAwait(false);
        }

        AnyNetConnection[] left = [.. _live.Keys];
        foreach (AnyNetConnection connection in left)
        {
            connection.Abort(new ConnectionAbortedException("The AnyNet transport listener was disposed."));
        }

        await Task.WhenAll(left.Select(c => c.Completion)).ConfigureAwait(false);
        _stopAccepting.Dispose();
        _memoryPool.Dispose();
    }

    private static async Task<ISocketListener> ListenAsync(IAsyncBackend loop, EndPoint endPoint, Func<IAsyncBackend, ISocketListener> listen, CancellationToken cancellationToken)
    {
        try
        {
            // On the loop: a loop backend's listener belongs to its loop thread.
            return await loop.RunAsync(_ => Task.FromResult(listen(loop)), cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException error) when (error.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            // Kestrel turns this into its usual "Failed to bind to address ...: address already in use." error.
            throw new AddressInUseException($"The AnyNet '{loop.Name}' transport could not bind {endPoint}: the address is already in use.", error);
        }
    }

    private static async Task DisposeOnLoopAsync(IAsyncBackend loop, ISocketListener listener)
    {
        try
        {
            await loop.RunAsync(async _ => await listener.DisposeAsync()).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The backend is gone, and its listeners with it.
        }
    }

    private void StartAccepting()
    {
        var loops = new Task[_loops.Length];
        for (int i = 0; i < _loops.Length; i++)
        {
            (IAsyncBackend backend, ISocketListener listener) = _loops[i];
            loops[i] = backend.RunAsync(token => AcceptLoopAsync(backend, listener, token), _stopAccepting.Token);
        }

        _accepting = CompleteWhenAllEndAsync(loops);
    }

    private async Task CompleteWhenAllEndAsync(Task[] loops)
    {
        try
        {
            await Task.WhenAll(loops).ConfigureAwait(false);
        }
        catch (Exception error) when (error is OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            _accepted.Writer.TryComplete();
            Log.Unbound(_logger, _endPointText);
        }
    }

    // Runs on the backend's scheduler: each connection is made, and its pumps started, on the loop it was accepted on.
    private async Task AcceptLoopAsync(IAsyncBackend backend, ISocketListener listener, CancellationToken cancellationToken)
    {
        TimeSpan pause = TimeSpan.Zero;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                ISocketStream stream;
                try
                {
                    stream = await listener.AcceptAsync(cancellationToken);
                    pause = TimeSpan.Zero;
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                catch (ObjectDisposedException)
                {
                    break;
                }
                catch (Exception error) when (error is SocketException or IOException)
                {
                    // EMFILE and friends: the listener stays, the connection waits in the backlog; back off a little.
                    Log.AcceptFailed(_logger, error, _endPointText);
                    pause = pause == TimeSpan.Zero ? TimeSpan.FromMilliseconds(10) : TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(1).Ticks));
                    await backend.SleepAsync(pause, cancellationToken);
                    continue;
                }

                var connection = new AnyNetConnection(stream, _memoryPool, _options, _logger, Interlocked.Increment(ref s_connectionNumber), _onClosed);
                _live.TryAdd(connection, 0);
                connection.Start();
                Log.ConnectionAccepted(_logger, connection.ConnectionId, connection.RemoteEndPoint?.ToString());
                try
                {
                    await _accepted.Writer.WriteAsync(connection, cancellationToken);
                }
                catch (Exception error) when (error is OperationCanceledException or ChannelClosedException)
                {
                    await connection.DisposeAsync();
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            await listener.DisposeAsync();
        }
    }
}
