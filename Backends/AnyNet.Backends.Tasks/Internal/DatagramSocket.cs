using System.Net;
using System.Net.Sockets;

namespace AnyNet.Backends.Tasks.Internal;

internal sealed class DatagramSocket : IDatagramSocket
{
    // An unbound Unix datagram socket has no address; this stands in for it (and serves as the receive template).
    private static readonly UnixDomainSocketEndPoint s_unbound = new("(unbound)");

    private readonly Socket _socket;
    private readonly string? _unixPath;
    private readonly EndPoint _anyAddress;
    private OperationGate _receiveGate;
    private OperationGate _sendGate;
    private volatile bool _closed;

    public DatagramSocket(Socket socket, string? unixPath)
    {
        _socket = socket;
        _unixPath = unixPath;
        LocalEndPoint = socket.LocalEndPoint ?? s_unbound;
        RemoteEndPoint = socket.Connected ? socket.RemoteEndPoint : null;
        _anyAddress = socket.AddressFamily switch
        {
            AddressFamily.InterNetwork => new IPEndPoint(IPAddress.Any, 0),
            AddressFamily.InterNetworkV6 => new IPEndPoint(IPAddress.IPv6Any, 0),
            _ => LocalEndPoint,
        };
    }

    public EndPoint LocalEndPoint { get; }

    public EndPoint? RemoteEndPoint { get; }

    public async ValueTask<DatagramReceiveResult> ReceiveFromAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        cancellationToken.ThrowIfCancellationRequested();
        _receiveGate.Enter("receiving");
        try
        {
            SocketReceiveFromResult result = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, _anyAddress, cancellationToken);
            return new DatagramReceiveResult(result.ReceivedBytes, result.RemoteEndPoint);
        }
        catch (Exception error) when (SocketFailures.Translate(error, _closed, "datagram socket") is { } translated)
        {
            throw translated;
        }
        finally
        {
            _receiveGate.Exit();
        }
    }

    public async ValueTask SendToAsync(ReadOnlyMemory<byte> datagram, EndPoint? remoteEndPoint = null, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        if (remoteEndPoint is null && RemoteEndPoint is null)
        {
            throw new InvalidOperationException("This datagram socket is not connected: give the address to send to.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        _sendGate.Enter("sending");
        try
        {
            if (remoteEndPoint is null)
            {
                await _socket.SendAsync(datagram, SocketFlags.None, cancellationToken);
            }
            else
            {
                await _socket.SendToAsync(datagram, SocketFlags.None, remoteEndPoint, cancellationToken);
            }
        }
        catch (Exception error) when (SocketFailures.Translate(error, _closed, "datagram socket") is { } translated)
        {
            throw translated;
        }
        finally
        {
            _sendGate.Exit();
        }
    }

    public ValueTask DisposeAsync()
    {
        if (!_closed)
        {
            _closed = true;
            SocketFailures.CloseAndUnlink(_socket, _unixPath);
        }

        return ValueTask.CompletedTask;
    }

    private void ThrowIfClosed()
    {
        if (_closed)
        {
            throw new ClosedResourceException("This datagram socket was closed.");
        }
    }

}
