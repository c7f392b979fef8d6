using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace AnyNet;

/// <summary>The well-known typed attribute keys (AnyIO's <c>SocketAttribute</c>), and <see cref="Forward{T}"/> for wrappers.</summary>
public static class TypedAttributes
{
    /// <summary>The OS handle of the socket: its file descriptor on Unix, its SOCKET on Windows. Still owned by the stream.</summary>
    public static TypedAttribute<nint> RawHandle { get; } = new("RawHandle");

    /// <summary>The local address (an <see cref="IPEndPoint"/> or a <see cref="System.Net.Sockets.UnixDomainSocketEndPoint"/>).</summary>
    public static TypedAttribute<EndPoint> LocalEndPoint { get; } = new("LocalEndPoint");

    /// <summary>The peer's address; connected streams only.</summary>
    public static TypedAttribute<EndPoint> RemoteEndPoint { get; } = new("RemoteEndPoint");

    /// <summary>The peer process's credentials (<c>SO_PEERCRED</c>); connected Unix stream sockets on Linux only.</summary>
    public static TypedAttribute<UnixCredentials> PeerCredentials { get; } = new("PeerCredentials");

    /// <summary>
    /// The <see cref="System.Threading.SynchronizationContext"/> of the event loop that owns the socket, on a loop backend
    /// (reactor, libuv). Code that uses the socket runs fastest there: from any other thread each operation is handed
    /// to that loop (a thread hop and an allocation). With several loops (<c>Loops</c> in the backend's options), each
    /// accepted connection belongs to one of them; <c>ServeAsync</c> starts each connection's handler on its loop.
    /// </summary>
    public static TypedAttribute<SynchronizationContext> LoopContext { get; } = new("LoopContext");

    /// <summary>
    /// For a wrapper stream: looks <paramref name="attribute"/> up in <paramref name="inner"/>, false if the inner
    /// object provides no attributes.
    /// </summary>
    public static bool Forward<T>(object? inner, TypedAttribute<T> attribute, [MaybeNullWhen(false)] out T value)
    {
        if (inner is ITypedAttributeProvider provider)
        {
            return provider.TryGetAttribute(attribute, out value);
        }

        value = default;
        return false;
    }
}
