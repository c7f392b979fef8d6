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

    /// <summary>The failure: a socket error name (<c>connection_refused</c>) or the exception's type.</summary>
    public const string ErrorTypeTag = "error.type";
}
