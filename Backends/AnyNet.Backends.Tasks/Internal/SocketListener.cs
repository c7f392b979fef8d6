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
    private OperationGate _acceptGate;
    private volatile bool _closed;

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
                        BackendEventSource.Log.AcceptBackoff("tasks", LocalEndPoint.ToString() ?? string.Empty, error.ErrorCode, (int)s_descriptorBackoff.TotalMilliseconds);
                        await Task.Delay(s_descriptorBackoff, cancellationToken);
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

    public ValueTask DisposeAsync()
    {
        if (!_closed)
        {
            _closed = true;
            SocketFailures.CloseAndUnlink(_socket, _unixPath);
        }

        return ValueTask.CompletedTask;
    }
}
