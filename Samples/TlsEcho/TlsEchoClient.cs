using System.Net.Security;
using System.Text;
using AnyNet.Tls;

namespace AnyNet.Samples.TlsEcho;

/// <summary>
/// The client: a TLS connection from the TLS <c>ConnectTcpAsync</c>, one line sent, one line read back and printed.
/// Against this sample's server the line comes back as sent; against <c>openssl s_server -rev</c>, reversed.
/// </summary>
internal static class TlsEchoClient
{
    public static async Task RunAsync(IAsyncBackend backend, string host, int port, SslClientAuthenticationOptions options, string message, TextWriter log, CancellationToken cancellationToken)
    {
        await using TlsStream stream = await backend.ConnectTcpAsync(host, port, options, cancellationToken: cancellationToken);
        await log.WriteLineAsync($"connected: {stream.NegotiatedProtocol}, {stream.NegotiatedCipherSuite}, server certificate {stream.RemoteCertificate?.Subject}");
        await stream.SendAsync(Encoding.UTF8.GetBytes(message + "\n"), cancellationToken);
        await using var input = new BufferedByteReceiveStream(stream, leaveOpen: true);
        ReadOnlyMemory<byte> line = await input.ReceiveUntilAsync("\n"u8.ToArray(), 64 * 1024, cancellationToken);
        await log.WriteLineAsync($"reply: {Encoding.UTF8.GetString(line.Span).TrimEnd('\r')}");
        await stream.SendEofAsync(cancellationToken);
    }
}
