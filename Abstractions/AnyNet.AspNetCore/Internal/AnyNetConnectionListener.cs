using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace AnyNet.AspNetCore.Internal;

/// <summary>
/// One Kestrel endpoint: one AnyNet listener, an accept loop on the backend's scheduler (loop 0 of a loop backend), and a
/// bounded queue from which Kestrel takes the accepted connections. On a backend with several loops the listener hands
/// each accepted connection to the next loop in turn, and the connection's pumps run on that loop.
/// </summary>
/// <remarks>
/// One listening socket, not one SO_REUSEPORT listener per loop (as this transport once did): the backend's own
/// round robin spreads a few connections evenly where the kernel's address hash may put them all on one loop, a
/// connection queued on a listener is not reset when another loop's listener closes, port 0 and Unix sockets work as
/// with one loop, and no other process can bind the port alongside.
/// </remarks>
internal sealed class AnyNetConnectionListener : IConnectionListener
{
    private static long s_connectionNumber;

    private readonly IAsyncBackend _backend;
    private readonly ISocketListener _listener;
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

    private AnyNetConnectionListener(IAsyncBackend backend, ISocketListener listener, MemoryPool<byte> memoryPool, AnyNetTransportOptions options, ILogger logger)
    {
        _backend = backend;
        _listener = listener;
        _memoryPool = memoryPool;
        _options = options;
        _logger = logger;
        EndPoint = listener.LocalEndPoint;
        _endPointText = EndPoint.ToString() ?? "?";
        // Bounded: when Kestrel does not take connections, the accept loop waits and the kernel backlog holds the rest.
        _accepted = Channel.CreateBounded<AnyNetConnection>(new BoundedChannelOptions(Math.Max(16, options.Backlog))
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _onClosed = connection => _live.TryRemove(connection, out _);
    }

    public EndPoint EndPoint { get; }

    /// <summary>
    /// Binds <paramref name="endPoint"/> on <paramref name="backend"/> and starts accepting; <paramref name="loops"/>, how
    /// many loops the backend runs, is only logged.
    /// </summary>
    /// <exception cref="AddressInUseException">The address is in use; the message names it and the backend.</exception>
    public static async Task<AnyNetConnectionListener> BindAsync(
        EndPoint endPoint, IAsyncBackend backend, int loops, MemoryPool<byte> memoryPool, AnyNetTransportOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var listenOptions = new ListenOptions { Backlog = options.Backlog };
        ISocketListener listener = endPoint switch
        {
            IPEndPoint ip => await ListenAsync(backend, ip, b => b.ListenTcp(ip, listenOptions), cancellationToken),
            UnixDomainSocketEndPoint unix => await ListenAsync(backend, unix, b => b.ListenUnix(unix.ToString(), listenOptions), cancellationToken),
            _ => throw new NotSupportedException($"The AnyNet transport cannot bind {endPoint.GetType().Name} endpoints ({endPoint}); it binds IPEndPoint and UnixDomainSocketEndPoint."),
        };

        var result = new AnyNetConnectionListener(backend, listener, memoryPool, options, logger);
        result.StartAccepting();
        Log.Listening(logger, result._endPointText, backend.Name, loops);
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

    private static async Task<ISocketListener> ListenAsync(IAsyncBackend backend, EndPoint endPoint, Func<IAsyncBackend, ISocketListener> listen, CancellationToken cancellationToken)
    {
        try
        {
            // On the backend's scheduler: a loop backend's listener then belongs to loop 0, where the accept loop runs.
            return await backend.RunAsync(_ => Task.FromResult(listen(backend)), cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException error) when (error.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            // Kestrel turns this into its usual "Failed to bind to address ...: address already in use." error.
            throw new AddressInUseException($"The AnyNet '{backend.Name}' transport could not bind {endPoint}: the address is already in use.", error);
        }
    }

    private void StartAccepting() =>
        _accepting = CompleteWhenEndedAsync(_backend.RunAsync(token => AcceptLoopAsync(_backend, _listener, token), _stopAccepting.Token));

    private async Task CompleteWhenEndedAsync(Task accepting)
    {
        try
        {
            await accepting.ConfigureAwait(false);
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

    // Runs on the backend's scheduler (loop 0 of a loop backend). Each connection's pumps start on the loop that owns it
    // (AnyNetConnection.Start), which on a backend with several loops is the next one in turn.
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
