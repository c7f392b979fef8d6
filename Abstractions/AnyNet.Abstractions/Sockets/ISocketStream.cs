using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace AnyNet;

/// <summary>A connected stream socket (TCP or Unix), with typed attributes and socket options.</summary>
public interface ISocketStream : IByteStream, ITypedAttributeProvider, ISocketOptions
{
    /// <summary>The local address (an <see cref="IPEndPoint"/> or a <see cref="System.Net.Sockets.UnixDomainSocketEndPoint"/>).</summary>
    EndPoint LocalEndPoint { get; }

    /// <summary>The peer's address.</summary>
    EndPoint RemoteEndPoint { get; }

    /// <summary>
    /// The default for a backend without <see cref="BackendCapabilities.TypedAttributes"/>: only the two endpoints.
    /// The built-in backends also answer <see cref="TypedAttributes.RawHandle"/> and <see cref="TypedAttributes.PeerCredentials"/>.
    /// </summary>
    bool ITypedAttributeProvider.TryGetAttribute<T>(TypedAttribute<T> attribute, [MaybeNullWhen(false)] out T value)
    {
        if (ReferenceEquals(attribute, TypedAttributes.LocalEndPoint) || ReferenceEquals(attribute, TypedAttributes.RemoteEndPoint))
        {
            value = (T)(object)(ReferenceEquals(attribute, TypedAttributes.LocalEndPoint) ? LocalEndPoint : RemoteEndPoint);
            return true;
        }

        value = default;
        return false;
    }
}
