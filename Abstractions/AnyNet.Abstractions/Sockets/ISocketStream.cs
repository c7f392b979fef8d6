using System.Net;

namespace AnyNet;

/// <summary>A connected stream socket (TCP or Unix).</summary>
public interface ISocketStream : IByteStream
{
    /// <summary>The local address (an <see cref="IPEndPoint"/> or a <see cref="System.Net.Sockets.UnixDomainSocketEndPoint"/>).</summary>
    EndPoint LocalEndPoint { get; }

    /// <summary>The peer's address.</summary>
    EndPoint RemoteEndPoint { get; }
}
