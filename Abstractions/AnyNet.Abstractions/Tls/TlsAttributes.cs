using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace AnyNet.Tls;

/// <summary>
/// The typed attribute keys a <see cref="TlsStream"/> answers (AnyIO's <c>TLSAttribute</c>); every other key it forwards
/// to its transport, so a socket's attributes (<see cref="TypedAttributes"/>) read through TLS too. The session keys are
/// present only once the handshake has completed.
/// </summary>
public static class TlsAttributes
{
    /// <summary>The negotiated protocol version (AnyIO <c>tls_version</c>).</summary>
    public static TypedAttribute<SslProtocols> Protocol { get; } = new("TlsProtocol");

    /// <summary>The negotiated cipher suite (AnyIO <c>cipher</c>).</summary>
    public static TypedAttribute<TlsCipherSuite> CipherSuite { get; } = new("TlsCipherSuite");

    /// <summary>The ALPN protocol both sides agreed on; absent when none was (AnyIO <c>alpn_protocol</c>).</summary>
    public static TypedAttribute<SslApplicationProtocol> ApplicationProtocol { get; } = new("TlsApplicationProtocol");

    /// <summary>The peer's certificate; absent when the peer sent none (AnyIO <c>peer_certificate</c>).</summary>
    public static TypedAttribute<X509Certificate2> PeerCertificate { get; } = new("TlsPeerCertificate");

    /// <summary>The SNI host name: for a client the one it asked for, for a server the one the client sent; absent when empty.</summary>
    public static TypedAttribute<string> ServerName { get; } = new("TlsServerName");

    /// <summary>True on the server side (AnyIO <c>server_side</c>); present before the handshake too.</summary>
    public static TypedAttribute<bool> IsServer { get; } = new("TlsIsServer");

    /// <summary>Whether a transport end without close_notify is an error (AnyIO <c>standard_compatible</c>); present before the handshake too.</summary>
    public static TypedAttribute<bool> StandardCompatible { get; } = new("TlsStandardCompatible");
}
