namespace AnyNet.Tls;

/// <summary>How a <see cref="TlsListener"/> treats its connections.</summary>
public sealed class TlsListenerOptions
{
    /// <summary>The longest a client may take to finish its handshake (default 10 s); measured on <see cref="TimeProvider"/>.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether a client's transport end without close_notify is an error (default true; see <see cref="TlsStream"/>).</summary>
    public bool StandardCompatible { get; set; } = true;

    /// <summary>The clock of the handshake timeout; pass the backend's (<c>backend.TimeProvider</c>). Default: the system clock.</summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>
    /// Called by <see cref="TlsListener.ServeAsync"/> for each connection whose handshake failed (bad certificate, plaintext,
    /// timeout, the client went away), with the exception that names why; the connection is closed and the server goes on.
    /// Default: nothing (the failure is dropped, as AnyIO's TLSListener does after logging).
    /// </summary>
    public Action<Exception>? HandshakeFailed { get; set; }
}
