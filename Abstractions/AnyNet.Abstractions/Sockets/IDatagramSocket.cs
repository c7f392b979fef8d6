using System.Net;

namespace AnyNet;

/// <summary>A UDP or Unix datagram socket, optionally connected to one peer.</summary>
/// <remarks>
/// Size receive buffers for the largest datagram expected (65,507 bytes for UDP over IPv4): the part of a datagram
/// that does not fit is discarded by the OS. One receive and one send may be in progress at a time.
/// </remarks>
public interface IDatagramSocket : IAsyncDisposable
{
    /// <summary>The bound local address.</summary>
    EndPoint LocalEndPoint { get; }

    /// <summary>The peer of a connected socket, otherwise null.</summary>
    EndPoint? RemoteEndPoint { get; }

    /// <summary>Receives one datagram and the address it came from.</summary>
    /// <exception cref="ClosedResourceException">The socket was closed (also while the receive waits).</exception>
    /// <exception cref="BusyResourceException">Another receive is in progress.</exception>
    ValueTask<DatagramReceiveResult> ReceiveFromAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);

    /// <summary>Sends one datagram to <paramref name="remoteEndPoint"/>, or to the connected peer when it is null.</summary>
    /// <exception cref="InvalidOperationException">No address was given and the socket is not connected.</exception>
    /// <exception cref="ClosedResourceException">The socket was closed.</exception>
    /// <exception cref="BusyResourceException">Another send is in progress.</exception>
    ValueTask SendToAsync(ReadOnlyMemory<byte> datagram, EndPoint? remoteEndPoint = null, CancellationToken cancellationToken = default);
}
