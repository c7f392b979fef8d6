using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using AnyNet.Tls;

namespace AnyNet.Samples.TlsEcho;

/// <summary>
/// The echo server behind TLS: a plain TCP listener wrapped with <see cref="TlsExtensions.WithTls{TStream}"/>. The
/// handler is the same echo loop as the plain Echo sample: a <see cref="TlsStream"/> is just another byte stream.
/// </summary>
internal static class TlsEchoServer
{
    public static async Task RunAsync(IAsyncBackend backend, IPEndPoint endPoint, X509Certificate2 certificate, TextWriter log, CancellationToken cancellationToken)
    {
        var tls = new SslServerAuthenticationOptions { ServerCertificate = certificate };
        var tlsOptions = new TlsListenerOptions
        {
            TimeProvider = backend.TimeProvider,

            // Interactive clients such as openssl s_client often just close the socket; for an echo, a missing
            // close_notify cannot truncate anything that matters, so it counts as a normal end.
            StandardCompatible = false,
            HandshakeFailed = error => log.WriteLine($"TlsEcho: handshake failed: {error.Message}"),
        };
        await using TlsListener listener = backend.ListenTcp(endPoint).WithTls(tls, tlsOptions);
        await SampleMain.AnnounceAsync("TlsEcho", listener.LocalEndPoint, backend.Name);
        await listener.ServeAsync(ConnectionGuard.Wrap<TlsStream>("TlsEcho", EchoAsync), cancellationToken);
    }

    private static async Task EchoAsync(TlsStream stream, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[16 * 1024];
        int n;
        while ((n = await stream.ReceiveAsync(buffer, cancellationToken)) > 0)
        {
            await stream.SendAsync(buffer.AsMemory(0, n), cancellationToken);
        }

        // The client ended its side: end ours with close_notify.
        await stream.SendEofAsync(cancellationToken);
    }
}
