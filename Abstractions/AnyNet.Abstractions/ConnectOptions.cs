namespace AnyNet;

/// <summary>
/// Options for an outgoing TCP connection: the <c>ConnectTcpAsync</c> overloads of <see cref="AsyncBackendExtensions"/>
/// that take them. The counterpart of <see cref="ListenOptions"/> for the client side.
/// </summary>
public sealed record ConnectOptions
{
    /// <summary>
    /// TCP keepalive for the connection, so that a peer that vanished without a FIN or RST ends the connection with an
    /// error instead of holding it forever. Null (the default): off, as the OS does. Set with setsockopt(2) once the
    /// connection is made (SO_KEEPALIVE applies at any time, tcp(7)), through <see cref="ISocketOptions"/>, so the
    /// backend must support socket options (<see cref="BackendCapabilities.TypedAttributes"/>).
    /// </summary>
    public TcpKeepAlive? KeepAlive { get; init; }

    /// <summary>Validates the options and throws <see cref="ArgumentOutOfRangeException"/> naming a bad value.</summary>
    public void Validate() => KeepAlive?.Validate();
}
