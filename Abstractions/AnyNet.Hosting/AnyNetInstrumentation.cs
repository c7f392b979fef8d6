namespace AnyNet.Hosting;

/// <summary>
/// The names of AnyNet's metrics, for <c>AddMeter</c> in OpenTelemetry and for <see cref="System.Diagnostics.Metrics.MeterListener"/>.
/// Every server instrument carries the tags <see cref="BackendTag"/> and <see cref="EndpointTag"/>.
/// </summary>
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

    /// <summary>The tag holding the backend's name.</summary>
    public const string BackendTag = "anynet.backend";

    /// <summary>The tag holding the server's bound endpoint string (for <c>tcp:...:0</c>, with the real port).</summary>
    public const string EndpointTag = "anynet.endpoint";

    /// <summary>The tag holding an error's exception type.</summary>
    public const string ErrorTypeTag = "error.type";
}
