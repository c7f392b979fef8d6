using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace AnyNet.Backends.Tasks.Internal;

internal sealed class SocketListener : ISocketListener
{
    // EMFILE/ENFILE mean the process or the system is out of descriptors: the listener waits for some to be freed
    // instead of failing the server, as every production accept loop does.
    private static readonly TimeSpan s_descriptorBackoff = TimeSpan.FromMilliseconds(100);

    private readonly Socket _socket;
    private readonly string? _unixPath;
    private readonly ReserveDescriptor _reserve = new();
    // An episode of descriptor exhaustion ends only after a second without EMFILE, so that a server hovering at the
    // limit logs one warning, not one per connection that got through.
    private const long BackoffEpisodeQuietMs = 1000;
    private int _backoffs;
    private long _lastBackoff;
    private OperationGate _acceptGate;
    private volatile bool _closed;

    static SocketListener()
    {
        // The runtime starts its timer thread with the first timer. Starting it now, while descriptors are plentiful,
        // lets the EMFILE back-off below arm its delay later, when a new thread could not be created.
        using var warmUp = new Timer(static _ => { }, null, TimeSpan.FromHours(1), Timeout.InfiniteTimeSpan);
    }

    public SocketListener(Socket socket, string? unixPath)
    {
        _socket = socket;
        _unixPath = unixPath;
        LocalEndPoint = socket.LocalEndPoint!;
    }

    public EndPoint LocalEndPoint { get; }

    public async ValueTask<ISocketStream> AcceptAsync(CancellationToken cancellationToken = default)
    {
        if (_closed)
        {
            throw new ClosedResourceException("This listener was closed.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        _acceptGate.Enter("accepting");
        try
        {
            while (true)
            {
                try
                {
                    Socket accepted = await _socket.AcceptAsync(cancellationToken);
                    if (_backoffs > 0 && Environment.TickCount64 - _lastBackoff >= BackoffEpisodeQuietMs)
                    {
                        BackendEventSource.Log.AcceptRecovered("tasks", LocalEndPoint.ToString() ?? string.Empty, _backoffs);
                        _backoffs = 0;
                        _reserve.Restore();
                    }

                    if (accepted.ProtocolType == ProtocolType.Tcp)
                    {
                        accepted.NoDelay = true;
                    }

                    return new SocketStream(accepted);
                }
                catch (SocketException error) when (!_closed && error.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.ConnectionAborted or SocketError.ConnectionReset)
                {
                    if (error.SocketErrorCode == SocketError.TooManyOpenSockets)
                    {
                        // Give up the spare descriptor to take the connection at the head of the backlog and close it,
                        // so its client learns at once; then wait, since retrying at once would spin.
                        _ = _reserve.ShedWith(ShedOne);
                        _lastBackoff = Environment.TickCount64;
                        if (_backoffs++ == 0)
                        {
                            // Once per episode, not once per attempt; AcceptRecovered ends the episode.
                            BackendEventSource.Log.AcceptBackoff("tasks", LocalEndPoint.ToString() ?? string.Empty, error.ErrorCode, (int)s_descriptorBackoff.TotalMilliseconds);
                        }

                        await BackOffAsync(cancellationToken);
                    }
                }
            }
        }
        catch (Exception error) when (_closed && error is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            throw new ClosedResourceException("This listener was closed while accepting.", error);
        }
        finally
        {
            _acceptGate.Exit();
        }
    }

    public bool TryGetAttribute<T>(TypedAttribute<T> attribute, [MaybeNullWhen(false)] out T value) =>
        SocketAttributes.TryGet(attribute, this, RawSocketOptions.Handle(_socket, _closed, "listener"), LocalEndPoint, null, out value);

    public void SetOption(int level, int name, ReadOnlySpan<byte> value) => RawSocketOptions.Set(_socket, _closed, "listener", level, name, value);

    public int GetOption(int level, int name, Span<byte> value) => RawSocketOptions.Get(_socket, _closed, "listener", level, name, value);

    private static async Task BackOffAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(s_descriptorBackoff, cancellationToken);
        }
        catch (OutOfMemoryException)
        {
            // The runtime could not start a thread for the timer: a new thread needs descriptors too. Waiting on this
            // thread-pool thread is the only pause left, and far better than the server dying.
            Thread.Sleep(s_descriptorBackoff);
        }
    }

    // Runs with the spare descriptor closed: takes the waiting connection without blocking (Poll first) and closes it.
    private void ShedOne()
    {
        try
        {
            if (_socket.Poll(0, SelectMode.SelectRead))
            {
                // Non-blocking, so that a connection that vanished since the poll cannot block this thread in accept.
                _socket.Blocking = false;
                _socket.Accept().Dispose();
            }
        }
        catch (SocketException)
        {
            // Still no descriptor, or the connection vanished: the back-off follows either way.
        }
    }

    public ValueTask DisposeAsync()
    {
        if (!_closed)
        {
            _closed = true;
            _reserve.Dispose();
            SocketFailures.CloseAndUnlink(_socket, _unixPath);
        }

        return ValueTask.CompletedTask;
    }
}
