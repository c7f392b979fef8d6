namespace AnyNet.Hosting;

/// <summary>
/// The names of AnyNet's metrics, for <c>AddMeter</c> in OpenTelemetry and for <see cref="System.Diagnostics.Metrics.MeterListener"/>.
/// Every server instrument carries the OpenTelemetry semantic-convention tags of the endpoint the server listens on
/// (<see cref="ServerAddressTag"/>, <see cref="ServerPortTag"/>, <see cref="NetworkTransportTag"/>, <see cref="NetworkTypeTag"/>;
/// a Unix endpoint has its path as the address and neither port nor network type) and <see cref="BackendTag"/>.
/// </summary>
/// <remarks>
/// The client-side instruments, the TLS handshake duration and the span names are in <see cref="AnyNet.Diagnostics.AnyNetTelemetry"/>;
/// they are on the same meter name, created once per process rather than per container.
/// </remarks>
public static class AnyNetInstrumentation
{
    /// <summary>The meter's name: <c>AnyNet</c>.</summary>
    public const string MeterName = "AnyNet";

    /// <summary>Up-down counter of connections being served (unit <c>{connection}</c>).</summary>
    public const string ActiveConnections = "anynet.server.active_connections";

    /// <summary>Histogram of how long each served connection lasted (unit <c>s</c>); failed handlers add the tag <c>error.type</c>.</summary>
    public const string ConnectionDuration = "anynet.server.connection.duration";

    /// <summary>Counter of bytes received from clients (unit <c>By</c>).</summary>
    public const string BytesReceived = "anynet.server.bytes_received";

    /// <summary>Counter of bytes sent to clients (unit <c>By</c>).</summary>
    public const string BytesSent = "anynet.server.bytes_sent";

    /// <summary>Counter of failed accepts that the server survived (unit <c>{error}</c>); tagged with <c>error.type</c>.</summary>
    public const string AcceptErrors = "anynet.server.accept_errors";

    /// <summary>Counter of connections closed unserved because the server's connection limit was reached (unit <c>{connection}</c>).</summary>
    public const string RejectedConnections = "anynet.server.rejected_connections";

    /// <summary>The tag holding the backend's name (AnyNet's own; not an OpenTelemetry convention).</summary>
    public const string BackendTag = "anynet.backend";

    /// <summary>The address the server listens on (an IP address, or a Unix socket's path).</summary>
    public const string ServerAddressTag = "server.address";

    /// <summary>The port the server listens on (with the real port for <c>tcp:...:0</c>); absent for a Unix socket.</summary>
    public const string ServerPortTag = "server.port";

    /// <summary><c>tcp</c> or <c>unix</c>.</summary>
    public const string NetworkTransportTag = "network.transport";

    /// <summary><c>ipv4</c> or <c>ipv6</c>; absent for a Unix socket.</summary>
    public const string NetworkTypeTag = "network.type";

    /// <summary>
    /// The tag holding an error's type: a socket error in snake case (<c>connection_reset</c>), <c>cancelled</c>, or the
    /// exception's full type name.
    /// </summary>
    public const string ErrorTypeTag = "error.type";
}
