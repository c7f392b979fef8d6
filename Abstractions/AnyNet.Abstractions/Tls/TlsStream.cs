using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using AnyNet.Diagnostics;
using AnyNet.Diagnostics.Internal;
using AnyNet.Tls.Internal;

namespace AnyNet.Tls;

/// <summary>
/// TLS over any AnyNet byte stream (TCP, Unix, the in-memory pair, another TLS stream), on .NET's
/// <see cref="SslStream"/>. It is an <see cref="IByteStream"/> with the same rules as every other stream.
/// </summary>
/// <remarks>
/// <para><b>The end of the stream.</b> TLS marks a clean end with a close_notify alert, which <see cref="SendEofAsync"/> and
/// <see cref="DisposeAsync"/> send. When the peer's transport ends without one (a "ragged EOF", which an attacker can
/// cause to truncate data), a <see cref="StandardCompatible"/> stream (the default) throws
/// <see cref="BrokenResourceException"/> from the receive; a non-standard-compatible one reports the end of the stream,
/// for peers such as many HTTPS clients that close without close_notify. This is AnyIO's <c>standard_compatible</c>
/// and Trio's <c>https_compatible</c> (inverted). A transport that ends in the middle of a TLS record is always a
/// <see cref="BrokenResourceException"/>.</para>
/// <para><b>Handshake.</b> <see cref="WrapClientAsync"/> and <see cref="WrapServerAsync"/> return after the handshake.
/// A stream from <see cref="TlsListener.AcceptAsync"/> has not shaken hands yet: <see cref="HandshakeAsync"/>, or its
/// first receive or send, does it (under the listener's handshake timeout), so a slow client never holds up the accept
/// loop. A certificate that does not validate throws an <see cref="AuthenticationException"/> whose message names the
/// policy errors and the certificate; a peer that sends something other than TLS throws one that quotes its first bytes;
/// a transport that ends or fails during the handshake throws <see cref="BrokenResourceException"/>.</para>
/// <para><b>Cancellation.</b> A cancelled receive consumed nothing. A send cancelled while its record was being written
/// leaves the sending side broken (a TLS record cannot be resumed): later sends throw <see cref="BrokenResourceException"/>.
/// A cancelled <see cref="HandshakeAsync"/> leaves the stream unusable.</para>
/// </remarks>
public sealed class TlsStream : IByteStream
{
    // How long closing waits to hand its close_notify to the transport (a peer that does not read must not hold up Dispose).
    private static readonly TimeSpan s_closeNotifyLimit = TimeSpan.FromSeconds(2);

    private readonly TlsTransportStream _transportStream;
    private readonly SslStream _ssl;
    private readonly SslClientAuthenticationOptions? _clientOptions;
    private readonly SslServerAuthenticationOptions? _serverOptions;
    private readonly TimeSpan? _handshakeTimeout;
    private readonly TimeProvider _timeProvider;
    private readonly ResourceGuard _receiving = new("receiving");
    private readonly ResourceGuard _sending = new("sending");
    private readonly CancellationTokenSource _closing = new();
    private readonly Lock _gate = new();
    private Task? _handshake;
    private SslPolicyErrors _policyErrors;
    private string? _chainErrors;
    private string? _certificateSummary;
    private int _closed;
    private bool _eofSent;
    private bool _sendBroken;
    private ReceiveEnd _end;

    private enum ReceiveEnd
    {
        Open,
        Clean,
        Ragged,
    }

    private TlsStream(IByteStream transport, SslClientAuthenticationOptions? client, SslServerAuthenticationOptions? server, bool standardCompatible, TimeSpan? handshakeTimeout, TimeProvider? timeProvider)
    {
        Transport = transport;
        StandardCompatible = standardCompatible;
        _handshakeTimeout = handshakeTimeout;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _transportStream = new TlsTransportStream(transport);
        _ssl = new SslStream(_transportStream, leaveInnerStreamOpen: true);
        if (client is not null)
        {
            // A copy whose validation callback also records why a certificate failed, to name it in the exception.
            _clientOptions = TlsOptions.Copy(client);
            RemoteCertificateValidationCallback? user = client.RemoteCertificateValidationCallback;
            _clientOptions.RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
            {
                RecordValidation(certificate, chain, errors);
                return user is null ? errors == SslPolicyErrors.None : user(sender, certificate, chain, errors);
            };
        }

        _serverOptions = server;
    }

    /// <summary>The stream TLS runs over; <see cref="DisposeAsync"/> disposes it.</summary>
    public IByteStream Transport { get; }

    /// <summary>True (the default): a transport end without close_notify is an error, as the TLS standard requires.</summary>
    public bool StandardCompatible { get; }

    /// <summary>True once the handshake has completed.</summary>
    public bool IsAuthenticated => _handshake is { IsCompletedSuccessfully: true };

    /// <summary>True for the server side.</summary>
    public bool IsServer => _serverOptions is not null;

    /// <summary>The negotiated protocol version (e.g. <see cref="SslProtocols.Tls13"/>).</summary>
    public SslProtocols NegotiatedProtocol => Authenticated().SslProtocol;

    /// <summary>The negotiated cipher suite.</summary>
    public TlsCipherSuite NegotiatedCipherSuite => Authenticated().NegotiatedCipherSuite;

    /// <summary>The ALPN protocol both sides agreed on (empty when none was).</summary>
    public SslApplicationProtocol NegotiatedApplicationProtocol => Authenticated().NegotiatedApplicationProtocol;

    /// <summary>The peer's certificate (the server's for a client; the client's, if it sent one, for a server).</summary>
    public X509Certificate2? RemoteCertificate => Authenticated().RemoteCertificate as X509Certificate2;

    /// <summary>The host name: for a client the one it asked for (SNI); for a server the one the client sent (empty if none).</summary>
    public string TargetHostName => Authenticated().TargetHostName;

    /// <summary>Wraps <paramref name="transport"/> as the client side and performs the handshake.</summary>
    /// <param name="transport">The connected stream; on a failed handshake it is disposed.</param>
    /// <param name="options">Host name (SNI, and the name the certificate must match), ALPN protocols, validation.</param>
    /// <param name="standardCompatible">Whether a transport end without close_notify is an error (see the remarks of <see cref="TlsStream"/>).</param>
    /// <param name="cancellationToken">Cancels the handshake.</param>
    /// <exception cref="AuthenticationException">The handshake failed; the message names why (e.g. the certificate's policy errors).</exception>
    /// <exception cref="BrokenResourceException">The transport ended or failed during the handshake.</exception>
    public static Task<TlsStream> WrapClientAsync(IByteStream transport, SslClientAuthenticationOptions options, bool standardCompatible = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(options);
        return WrapAsync(new TlsStream(transport, options, null, standardCompatible, null, null), cancellationToken);
    }

    /// <summary>Wraps <paramref name="transport"/> as the server side and performs the handshake.</summary>
    /// <param name="transport">The connected stream; on a failed handshake it is disposed.</param>
    /// <param name="options">The server certificate (or a selection callback), ALPN protocols, client certificate rules.</param>
    /// <param name="standardCompatible">Whether a transport end without close_notify is an error (see the remarks of <see cref="TlsStream"/>).</param>
    /// <param name="cancellationToken">Cancels the handshake.</param>
    /// <exception cref="AuthenticationException">The handshake failed; the message names why (e.g. a client that sent plaintext).</exception>
    /// <exception cref="BrokenResourceException">The transport ended or failed during the handshake.</exception>
    public static Task<TlsStream> WrapServerAsync(IByteStream transport, SslServerAuthenticationOptions options, bool standardCompatible = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(options);
        return WrapAsync(new TlsStream(transport, null, options, standardCompatible, null, null), cancellationToken);
    }

    /// <summary>A server-side stream whose handshake runs on first use, under <paramref name="handshakeTimeout"/> (for <see cref="TlsListener"/>).</summary>
    internal static TlsStream CreateServerPending(IByteStream transport, SslServerAuthenticationOptions options, bool standardCompatible, TimeSpan handshakeTimeout, TimeProvider? timeProvider) =>
        new(transport, null, options, standardCompatible, handshakeTimeout, timeProvider);

    /// <summary>Performs the handshake if it has not been done (waits for it if it is under way).</summary>
    /// <exception cref="AuthenticationException">The handshake failed; the message names why.</exception>
    /// <exception cref="BrokenResourceException">The transport ended or failed during the handshake.</exception>
    /// <exception cref="TimeoutException">The listener's handshake timeout expired.</exception>
    public async Task HandshakeAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfClosed();
        Task handshake;
        lock (_gate)
        {
            handshake = _handshake ??= RunHandshakeAsync(cancellationToken);
        }

        await handshake.WaitAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfClosed();
        using ResourceGuard.Scope scope = _receiving.Enter();
        await EnsureHandshakeAsync(cancellationToken);
        switch (_end)
        {
            case ReceiveEnd.Clean:
                return 0;
            case ReceiveEnd.Ragged:
                throw RaggedEof();
        }

        int received;
        try
        {
            received = await _ssl.ReadAsync(buffer, cancellationToken);
        }
        catch (Exception error) when (Translate(error, "receiving", cancellationToken) is { } translated)
        {
            throw translated;
        }

        if (received == 0 && !buffer.IsEmpty)
        {
            // SslStream returns 0 both for close_notify and for a bare transport end; only the transport knows which.
            if (_transportStream.TransportEnded && StandardCompatible)
            {
                _end = ReceiveEnd.Ragged;
                throw RaggedEof();
            }

            _end = ReceiveEnd.Clean;
        }

        return received;
    }

    /// <inheritdoc />
    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfClosed();
        using ResourceGuard.Scope scope = _sending.Enter();
        if (_eofSent)
        {
            throw new ClosedResourceException("The sending side was closed with SendEofAsync (close_notify was sent).");
        }

        await EnsureHandshakeAsync(cancellationToken);
        if (_sendBroken)
        {
            throw new BrokenResourceException("An earlier send was cancelled in the middle of a TLS record; the sending side cannot continue.",
                new OperationCanceledException("A TLS record was cut short by cancellation."));
        }

        if (data.IsEmpty)
        {
            return;
        }

        try
        {
            await _ssl.WriteAsync(data, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !IsClosed)
        {
            _sendBroken = true;
            throw;
        }
        catch (Exception error) when (Translate(error, "sending", cancellationToken) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>Sends close_notify (the TLS end of data), then half-closes the transport. A second call does nothing.</summary>
    public async ValueTask SendEofAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfClosed();
        if (_eofSent)
        {
            return;
        }

        using ResourceGuard.Scope scope = _sending.Enter();
        await EnsureHandshakeAsync(cancellationToken);
        if (_eofSent)
        {
            return;
        }

        _eofSent = true;
        try
        {
            await _ssl.ShutdownAsync().WaitAsync(cancellationToken);
            await Transport.SendEofAsync(cancellationToken);
        }
        catch (Exception error) when (Translate(error, "sending close_notify", cancellationToken) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>
    /// Closes: sends close_notify when the handshake is done and no send is in progress (waiting at most a moment for the
    /// transport to take it, and never for the peer's reply, as Trio does), then disposes the transport. Operations
    /// blocked at that moment throw <see cref="ClosedResourceException"/>. Idempotent.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        if (IsAuthenticated && !_eofSent && !_sendBroken && !_sending.IsInUse)
        {
            using var limit = new CancellationTokenSource(s_closeNotifyLimit, _timeProvider);
            _transportStream.LimitWrites(limit.Token);
            try
            {
                await _ssl.ShutdownAsync();
            }
            catch (Exception error) when (error is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException or NotSupportedException)
            {
                // Best effort: the peer is gone, or the transport would not take the alert in time.
            }
        }

        await _closing.CancelAsync();
        await Transport.DisposeAsync();
        await _ssl.DisposeAsync();
    }

    private static async Task<TlsStream> WrapAsync(TlsStream stream, CancellationToken cancellationToken)
    {
        try
        {
            await stream.HandshakeAsync(cancellationToken);
            return stream;
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }

    private bool IsClosed => Volatile.Read(ref _closed) != 0;

    private Task EnsureHandshakeAsync(CancellationToken cancellationToken)
    {
        Task? handshake = _handshake;
        if (handshake is { IsCompletedSuccessfully: true })
        {
            return Task.CompletedTask;
        }

        if (handshake is null)
        {
            lock (_gate)
            {
                // A handshake started implicitly belongs to no single operation: a cancelled receive stops waiting for it
                // but does not abort it (only closing or the listener's handshake timeout do).
                handshake = _handshake ??= RunHandshakeAsync(CancellationToken.None);
            }
        }

        return handshake.WaitAsync(cancellationToken);
    }

    private async Task RunHandshakeAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();

        // Both are null/0 unless something listens, so an unobserved handshake pays two checks.
        using Activity? activity = Telemetry.Source.HasListeners() ? Telemetry.Source.StartActivity(AnyNetTelemetry.TlsHandshakeActivity, ActivityKind.Internal) : null;
        long started = Telemetry.TlsMetricsEnabled ? Stopwatch.GetTimestamp() : 0;
        try
        {
            await HandshakeWithTimeoutAsync(cancellationToken);
        }
        catch (Exception error)
        {
            if (activity is not null || started != 0)
            {
                (EndPoint? endPoint, string? address) = TelemetryEndPoint();
                if (activity is not null)
                {
                    DescribeSpan(activity, endPoint, address);
                    Telemetry.Fail(activity, error);
                }

                Telemetry.RecordTlsHandshake(started, IsServer, endPoint, address, SslProtocols.None, error);
            }

            throw;
        }

        if (activity is not null || started != 0)
        {
            (EndPoint? endPoint, string? address) = TelemetryEndPoint();
            if (activity is not null)
            {
                DescribeSpan(activity, endPoint, address);
                activity.SetTag(AnyNetTelemetry.TlsProtocolVersionTag, Telemetry.TlsVersion(_ssl.SslProtocol));
            }

            Telemetry.RecordTlsHandshake(started, IsServer, endPoint, address, _ssl.SslProtocol, error: null);
        }
    }

    private void DescribeSpan(Activity activity, EndPoint? endPoint, string? address)
    {
        activity.SetTag(AnyNetTelemetry.TlsRoleTag, IsServer ? "server" : "client");
        Telemetry.SetEndPointTags(activity, endPoint, address);
    }

    /// <summary>
    /// The server the telemetry names: for a server this end's address, for a client the peer's, under the host name
    /// the client asked for (the certificate's name) when it gave one.
    /// </summary>
    private (EndPoint? EndPoint, string? Address) TelemetryEndPoint()
    {
        if (Transport is not ISocketStream socket)
        {
            return (null, IsServer ? null : NullIfEmpty(_clientOptions?.TargetHost));
        }

        try
        {
            return IsServer ? (socket.LocalEndPoint, null) : (socket.RemoteEndPoint, NullIfEmpty(_clientOptions?.TargetHost));
        }
        catch (Exception error) when (error is ObjectDisposedException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            return (null, null);
        }

        static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;
    }

    private async Task HandshakeWithTimeoutAsync(CancellationToken cancellationToken)
    {
        using CancellationTokenSource linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
        if (_handshakeTimeout is not { } timeout)
        {
            await AuthenticateAsync(linked.Token);
            return;
        }

        try
        {
            await CancelScope.FailAfterAsync(timeout, AuthenticateAsync, _timeProvider, linked.Token);
        }
        catch (TimeoutException error)
        {
            throw new TimeoutException($"The TLS handshake{Peer()} did not finish within {timeout}.", error);
        }
    }

    private async Task AuthenticateAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (_clientOptions is not null)
            {
                await _ssl.AuthenticateAsClientAsync(_clientOptions, cancellationToken);
            }
            else
            {
                await _ssl.AuthenticateAsServerAsync(_serverOptions!, cancellationToken);
            }
        }
        catch (Exception error) when (DescribeHandshakeFailure(error, cancellationToken) is { } described)
        {
            throw described;
        }
    }

    private Exception? DescribeHandshakeFailure(Exception error, CancellationToken cancellationToken)
    {
        if (IsClosed)
        {
            return new ClosedResourceException("The TLS stream was closed during its handshake.", error);
        }

        if (error is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            return null;
        }

        if (_policyErrors != SslPolicyErrors.None)
        {
            return new AuthenticationException(
                $"The TLS handshake{Peer()} failed: the server's certificate {_certificateSummary} does not validate for '{_clientOptions?.TargetHost}': " +
                $"{_policyErrors}{(_chainErrors is null ? "" : $" ({_chainErrors})")}.", error);
        }

        ReadOnlySpan<byte> first = _transportStream.FirstBytes;
        if (first.Length > 0 && first[0] != 0x16 && first[0] != 0x15)
        {
            // Every TLS connection starts with a handshake record (content type 22, RFC 8446 section 5.1), or an alert (21).
            return new AuthenticationException(
                $"The TLS handshake{Peer()} failed: the peer does not speak TLS; its first bytes were {Quote(first)}" +
                $"{(LooksLikeHttp(first) ? " (plaintext HTTP sent to a TLS port)" : "")}.", error);
        }

        if (_transportStream.TransportEnded)
        {
            return new BrokenResourceException($"The peer closed the connection during the TLS handshake{Peer()}.", error);
        }

        return FindInner<BrokenResourceException>(error) is { } broken
            ? new BrokenResourceException($"The transport failed during the TLS handshake{Peer()}: {broken.Message}", broken)
            : error is AuthenticationException
                ? new AuthenticationException($"The TLS handshake{Peer()} failed: {error.Message}", error)
                : error is IOException
                    ? new AuthenticationException($"The TLS handshake{Peer()} failed: {error.Message}", error)
                    : null;
    }

    private void RecordValidation(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        _policyErrors = errors;
        _certificateSummary = certificate is X509Certificate2 cert
            ? $"'{cert.Subject}' (DNS names: {string.Join(", ", DnsNames(cert).DefaultIfEmpty("none"))})"
            : certificate is null ? "(none was sent)" : $"'{certificate.Subject}'";
        if (chain is not null && chain.ChainStatus.Length > 0)
        {
            _chainErrors = string.Join("; ", chain.ChainStatus.Select(s => $"{s.Status}: {s.StatusInformation.Trim()}"));
        }
    }

    private static IEnumerable<string> DnsNames(X509Certificate2 certificate)
    {
        foreach (X509Extension extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
            {
                foreach (string name in san.EnumerateDnsNames())
                {
                    yield return name;
                }
            }
        }
    }

    private string Peer() => Transport is ISocketStream socket ? SafeRemote(socket) : "";

    private static string SafeRemote(ISocketStream socket)
    {
        try
        {
            return $" with {socket.RemoteEndPoint}";
        }
        catch (Exception error) when (error is ObjectDisposedException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            return "";
        }
    }

    private static bool LooksLikeHttp(ReadOnlySpan<byte> first) =>
        first.StartsWith("GET "u8) || first.StartsWith("POST "u8) || first.StartsWith("HEAD "u8) || first.StartsWith("PUT "u8) ||
        first.StartsWith("PRI "u8) || first.StartsWith("OPTIONS"u8) || first.StartsWith("DELETE"u8) || first.StartsWith("CONNECT"u8);

    private static string Quote(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder("\"");
        foreach (byte b in bytes)
        {
            text.Append(b is >= 0x20 and < 0x7F ? ((char)b).ToString() : $"\\x{b:X2}");
        }

        return text.Append('"').ToString();
    }

    private static T? FindInner<T>(Exception error)
        where T : Exception
    {
        for (Exception? current = error; current is not null; current = current.InnerException)
        {
            if (current is T found)
            {
                return found;
            }
        }

        return null;
    }

    private BrokenResourceException RaggedEof() => new(
        $"The peer's transport ended without a TLS close_notify (a ragged EOF{Peer()}): the data may have been truncated. " +
        "Wrap with standardCompatible: false to treat this as the end of the stream.",
        new EndOfStreamException("The transport ended before close_notify was received."));

    private SslStream Authenticated() => IsAuthenticated
        ? _ssl
        : throw new InvalidOperationException("The TLS handshake has not completed yet; await HandshakeAsync first.");

    private void ThrowIfClosed()
    {
        if (IsClosed)
        {
            throw new ClosedResourceException("This TLS stream was closed.");
        }
    }

    private Exception? Translate(Exception error, string action, CancellationToken cancellationToken)
    {
        if (IsClosed)
        {
            return error is ClosedResourceException ? null : new ClosedResourceException($"This TLS stream was closed while {action}.", error);
        }

        if (error is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            return null;
        }

        if (FindInner<BrokenResourceException>(error) is { } broken)
        {
            return ReferenceEquals(broken, error) ? null : broken;
        }

        if (FindInner<ClosedResourceException>(error) is { } closed)
        {
            return ReferenceEquals(closed, error) ? null : closed;
        }

        return error switch
        {
            BusyResourceException => null,
            IOException or AuthenticationException => new BrokenResourceException($"TLS failed while {action}{Peer()}: {error.Message}", error),
            _ => null,
        };
    }
}
