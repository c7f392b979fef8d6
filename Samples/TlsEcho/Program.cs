using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using AnyNet;
using AnyNet.Samples;
using AnyNet.Samples.TlsEcho;

// TlsEcho: `server` (default) echoes over TLS; `client` sends one line and prints the reply.
const string Usage = """
    usage: TlsEcho [server] [--backend tasks|reactor|libuv] [--host 127.0.0.1] [--port 8443] [--cert FILE.pem|FILE.pfx [--key FILE.pem]]
           TlsEcho client [--backend ...] [--host 127.0.0.1] --port P [--ca FILE.pem] [--server-name localhost] [--message TEXT]
    """;
return await SampleMain.RunAsync(args, Usage, async (line, backend, token) =>
{
    string mode = line.Words.Count > 0 ? line.Words[0] : "server";
    string host = line.Get("host", "127.0.0.1");
    int port = line.GetInt("port", 8443, 0, IPEndPoint.MaxPort);
    if (mode == "server")
    {
        string? certPath = line.GetOptional("cert");
        string? keyPath = line.GetOptional("key");
        line.ThrowOnUnknown();
        X509Certificate2 certificate;
        if (certPath is not null)
        {
            certificate = Certificates.Load(certPath, keyPath);
            Console.WriteLine($"certificate from {certPath}: {certificate.Subject}, SHA-256 {certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256)}");
        }
        else
        {
            certificate = Certificates.CreateSelfSigned(backend.TimeProvider);
            Console.WriteLine($"self-signed certificate made at start: {certificate.Subject}, SHA-256 {certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256)}");
            Console.WriteLine(certificate.ExportCertificatePem());
        }

        using (certificate)
        {
            await TlsEchoServer.RunAsync(backend, new IPEndPoint(IPAddress.Parse(host), port), certificate, Console.Out, token);
        }
    }
    else if (mode == "client")
    {
        string? ca = line.GetOptional("ca");
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = line.Get("server-name", "localhost"),
            
            // Without --ca the system's roots decide; there is deliberately no "accept anything" switch.
            RemoteCertificateValidationCallback = ca is not null ? Certificates.TrustOnly(ca) : null,
        };
        string message = line.Get("message", "hello over TLS");
        line.ThrowOnUnknown();
        await TlsEchoClient.RunAsync(backend, host, port, options, message, Console.Out, token);
    }
    else
    {
        throw new ArgumentException($"unknown mode '{mode}'");
    }
});
