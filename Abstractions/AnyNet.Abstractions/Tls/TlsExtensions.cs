using System.Net.Security;
using AnyNet.Tls.Internal;

namespace AnyNet.Tls;

/// <summary>TLS entry points on backends and listeners.</summary>
public static class TlsExtensions
{
    /// <summary>
    /// Connects to <paramref name="host"/>:<paramref name="port"/> (Happy Eyeballs, as the plain <c>ConnectTcpAsync</c>) and
    /// performs the TLS client handshake. Unless <paramref name="options"/> names another, the target host (SNI, and
    /// the name the server's certificate must match) is <paramref name="host"/>; <paramref name="options"/> is not changed.
    /// </summary>
    /// <exception cref="System.Security.Authentication.AuthenticationException">The handshake failed; the message names why.</exception>
    /// <exception cref="BrokenResourceException">The connection ended or failed during the handshake.</exception>
    public static async Task<TlsStream> ConnectTcpAsync(this IAsyncBackend backend, string host, int port, SslClientAuthenticationOptions options, bool standardCompatible = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(options);
        SslClientAuthenticationOptions effective = options;
        if (string.IsNullOrEmpty(options.TargetHost))
        {
            effective = TlsOptions.Copy(options);
            effective.TargetHost = host;
        }

        ISocketStream transport = await backend.ConnectTcpAsync(host, port, cancellationToken);
        return await TlsStream.WrapClientAsync(transport, effective, standardCompatible, cancellationToken);
    }

    /// <summary>Wraps <paramref name="listener"/> in a <see cref="TlsListener"/> (which then owns it).</summary>
    public static TlsListener WithTls<TStream>(this IListener<TStream> listener, SslServerAuthenticationOptions options, TlsListenerOptions? tlsOptions = null)
        where TStream : IByteStream =>
        TlsListener.Create(listener, options, tlsOptions);
}
