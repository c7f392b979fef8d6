using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using AnyNet.Internal;

namespace AnyNet.Tls;

/// <summary>
/// A listener that speaks TLS as the server, over any AnyNet listener (TCP, Unix, ...). Each handshake runs in its
/// connection's own task, under <see cref="TlsListenerOptions.HandshakeTimeout"/>, so a client that never finishes its
/// handshake holds up neither the accept loop nor any other connection.
/// </summary>
/// <remarks>
/// <see cref="AcceptAsync"/> returns as soon as a connection is accepted, with its handshake not yet done (as Trio's
/// <c>SSLListener</c>): <see cref="TlsStream.HandshakeAsync"/> or the first receive or send performs it.
/// <see cref="ServeAsync"/> (AnyIO's <c>TLSListener.serve</c>) does the handshake inside each connection's child task
/// and calls the handler only for connections whose handshake succeeded; a failed handshake is reported to
/// <see cref="TlsListenerOptions.HandshakeFailed"/>, the connection is closed, and the server goes on serving.
/// </remarks>
public sealed class TlsListener : IListener<TlsStream>
{
    private readonly Func<CancellationToken, ValueTask<IByteStream>> _accept;
    private readonly Func<EndPoint> _localEndPoint;
    private readonly IAsyncDisposable _inner;
    private readonly SslServerAuthenticationOptions _options;
    private readonly TlsListenerOptions _tlsOptions;

    private TlsListener(IAsyncDisposable inner, Func<CancellationToken, ValueTask<IByteStream>> accept, Func<EndPoint> localEndPoint, SslServerAuthenticationOptions options, TlsListenerOptions? tlsOptions)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ServerCertificate is null && options.ServerCertificateContext is null && options.ServerCertificateSelectionCallback is null)
        {
            throw new ArgumentException("The server options have no certificate: set ServerCertificate, ServerCertificateContext or ServerCertificateSelectionCallback.", nameof(options));
        }

        _inner = inner;
        _accept = accept;
        _localEndPoint = localEndPoint;
        _options = options;
        _tlsOptions = tlsOptions ?? new TlsListenerOptions();
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_tlsOptions.HandshakeTimeout, TimeSpan.Zero, nameof(tlsOptions));
    }

    /// <summary>Wraps <paramref name="inner"/>; disposing this listener disposes it.</summary>
    /// <param name="inner">Any listener of byte streams.</param>
    /// <param name="options">The server certificate, ALPN protocols and client-certificate rules.</param>
    /// <param name="tlsOptions">Handshake timeout, ragged-EOF rule, the clock and the handshake-failure callback.</param>
    public static TlsListener Create<TStream>(IListener<TStream> inner, SslServerAuthenticationOptions options, TlsListenerOptions? tlsOptions = null)
        where TStream : IByteStream
    {
        ArgumentNullException.ThrowIfNull(inner);
        return new TlsListener(inner, async token => await inner.AcceptAsync(token), () => inner.LocalEndPoint, options, tlsOptions);
    }

    /// <inheritdoc />
    public EndPoint LocalEndPoint => _localEndPoint();

    /// <summary>Accepts the next connection; its handshake has not run yet (see the remarks of <see cref="TlsListener"/>).</summary>
    public async ValueTask<TlsStream> AcceptAsync(CancellationToken cancellationToken = default)
    {
        IByteStream transport = await _accept(cancellationToken);
        return TlsStream.CreateServerPending(transport, _options, _tlsOptions.StandardCompatible, _tlsOptions.HandshakeTimeout, _tlsOptions.TimeProvider);
    }

    /// <summary>
    /// Accepts connections until <paramref name="cancellationToken"/> is cancelled or the listener is disposed; each
    /// connection's handshake and then <paramref name="handler"/> run in its own task group child, and the stream is
    /// disposed when the handler ends. The same rules as the general <c>ServeAsync</c>, except that a failed handshake
    /// does not fail the server (it goes to <see cref="TlsListenerOptions.HandshakeFailed"/>).
    /// </summary>
    /// <exception cref="TaskGroupException">A handler failed, or accepting failed.</exception>
    public Task ServeAsync(Func<TlsStream, CancellationToken, Task> handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return TaskGroup.RunAsync(async group =>
        {
            while (true)
            {
                IByteStream transport;
                try
                {
                    transport = await _accept(group.Token);
                }
                catch (ClosedResourceException) when (!group.IsCancellationRequested)
                {
                    return;
                }

                group.StartOn(LoopAffinity.Of(transport), async token =>
                {
                    TlsStream stream = TlsStream.CreateServerPending(transport, _options, _tlsOptions.StandardCompatible, _tlsOptions.HandshakeTimeout, _tlsOptions.TimeProvider);
                    await using (stream)
                    {
                        try
                        {
                            await stream.HandshakeAsync(token);
                        }
                        catch (Exception error) when (error is AuthenticationException or IOException or TimeoutException && !token.IsCancellationRequested)
                        {
                            _tlsOptions.HandshakeFailed?.Invoke(error);
                            return;
                        }

                        await handler(stream, token);
                    }
                });
            }
        }, cancellationToken);
    }

    /// <summary>Stops accepting and disposes the wrapped listener; accepted streams stay open.</summary>
    public ValueTask DisposeAsync() => _inner.DisposeAsync();
}
