namespace AnyNet.Diagnostics;

/// <summary>
/// The names under which AnyNet publishes traces and metrics: pass <see cref="ActivitySourceName"/> to OpenTelemetry's
/// <c>AddSource</c> and <see cref="MeterName"/> to <c>AddMeter</c>, or listen with an <see cref="System.Diagnostics.ActivityListener"/>
/// and a <see cref="System.Diagnostics.Metrics.MeterListener"/>. Nothing is recorded, and nothing is allocated for it,
/// until something listens. Tags follow the OpenTelemetry semantic conventions.
/// </summary>
public static class AnyNetTelemetry
{
    /// <summary>The <see cref="System.Diagnostics.ActivitySource"/> name: <c>AnyNet</c>.</summary>
    public const string ActivitySourceName = "AnyNet";

    /// <summary>The <see cref="System.Diagnostics.Metrics.Meter"/> name: <c>AnyNet</c>.</summary>
    public const string MeterName = "AnyNet";

    /// <summary>The span of a client's whole connect to a host and port (resolution, then every attempt).</summary>
    public const string ConnectActivity = "anynet.connect";

    /// <summary>The span of one connect attempt to one address (Happy Eyeballs runs several, one per address).</summary>
    public const string ConnectAttemptActivity = "anynet.connect.attempt";

    /// <summary>
    /// The span of one served connection of a hosted server, from its accept until it is closed (kind Server). The
    /// connection's handler runs inside it, so the application's own spans for the connection are its children.
    /// </summary>
    public const string ServerConnectionActivity = "anynet.server.connection";

    /// <summary>
    /// The span of a hosted server admitting an accepted connection (the connection limit, the per-connection state),
    /// a child of <see cref="ServerConnectionActivity"/>; a connection rejected at the limit ends it with
    /// <see cref="ErrorTypeTag"/> <c>connection_limit</c>. A failed accept the server survives is an accept span of its own, failed.
    /// </summary>
    public const string AcceptActivity = "anynet.server.accept";

    /// <summary>The span of one TLS handshake (client or server side), under whatever span is current when it starts.</summary>
    public const string TlsHandshakeActivity = "anynet.tls.handshake";

    /// <summary>
    /// Histogram of how long TLS handshakes took (unit <c>s</c>), both sides, tagged with <see cref="TlsRoleTag"/>, and
    /// <see cref="TlsProtocolVersionTag"/> on success or <see cref="ErrorTypeTag"/> on failure (like Kestrel's
    /// <c>kestrel.tls_handshake.duration</c>).
    /// </summary>
    public const string TlsHandshakeDuration = "anynet.tls.handshake.duration";

    /// <summary>Histogram of how long a client connect took (unit <c>s</c>); failures add <see cref="ErrorTypeTag"/>.</summary>
    public const string ConnectDuration = "anynet.client.connect.duration";

    /// <summary>Counter of client connects that failed (unit <c>{connect}</c>), tagged with <see cref="ErrorTypeTag"/>.</summary>
    public const string ConnectFailures = "anynet.client.connect.failures";

    /// <summary>The host or address the connection is to (or the server listens on).</summary>
    public const string ServerAddressTag = "server.address";

    /// <summary>The port the connection is to (or the server listens on).</summary>
    public const string ServerPortTag = "server.port";

    /// <summary>The peer's address of one attempt.</summary>
    public const string PeerAddressTag = "network.peer.address";

    /// <summary><c>tcp</c>, <c>udp</c> or <c>unix</c>.</summary>
    public const string NetworkTransportTag = "network.transport";

    /// <summary><c>ipv4</c> or <c>ipv6</c>.</summary>
    public const string NetworkTypeTag = "network.type";

    /// <summary>The negotiated TLS version: <c>1.2</c>, <c>1.3</c>.</summary>
    public const string TlsProtocolVersionTag = "tls.protocol.version";

    /// <summary>Which side of a TLS handshake this is: <c>client</c> or <c>server</c>.</summary>
    public const string TlsRoleTag = "anynet.tls.role";

    /// <summary>The failure: a socket error name (<c>connection_refused</c>) or the exception's type.</summary>
    public const string ErrorTypeTag = "error.type";
}
