using AnyNet.Tls;

namespace AnyNet.Conformance;

/// <summary>Makes a connected pair of TLS streams over two connected transports.</summary>
public static class TlsPairs
{
    /// <summary>Runs both handshakes at once (they need each other) and returns (client, server).</summary>
    public static async Task<(TlsStream Client, TlsStream Server)> HandshakeAsync(IByteStream clientTransport, IByteStream serverTransport, bool standardCompatible = true, CancellationToken cancellationToken = default)
    {
        Task<TlsStream> server = TlsStream.WrapServerAsync(serverTransport, TestCertificates.Server(), standardCompatible, cancellationToken);
        Task<TlsStream> client = TlsStream.WrapClientAsync(clientTransport, TestCertificates.Client(), standardCompatible, cancellationToken);
        await Task.WhenAll(server, client);
        return (await client, await server);
    }
}
