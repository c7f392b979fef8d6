using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AnyNet.Samples.TlsEcho;

/// <summary>Where the server's certificate comes from, and how the client decides to trust one.</summary>
internal static class Certificates
{
    /// <summary>
    /// Loads a certificate with its key: a PKCS#12 file (<c>.pfx</c>/<c>.p12</c>), or PEM files (certificate and key;
    /// the key may be in the certificate file).
    /// </summary>
    public static X509Certificate2 Load(string certificatePath, string? keyPath)
    {
        if (certificatePath.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || certificatePath.EndsWith(".p12", StringComparison.OrdinalIgnoreCase))
        {
            return X509CertificateLoader.LoadPkcs12FromFile(certificatePath, password: null);
        }

        return X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
    }

    /// <summary>
    /// Makes a self-signed ECDSA P-256 certificate for <c>localhost</c> and 127.0.0.1, valid for a day: enough for a
    /// sample, and a client can pin it with its printed PEM (openssl s_client -CAfile).
    /// </summary>
    public static X509Certificate2 CreateSelfSigned(TimeProvider time)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        DateTimeOffset now = time.GetUtcNow();
        using X509Certificate2 certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

        // Round-trip through PKCS#12 so the key is usable by SslStream on every platform (on Windows an ephemeral
        // key from CreateSelfSigned is not).
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), password: null);
    }

    /// <summary>
    /// A validation callback that trusts exactly the certificates in <paramref name="caPath"/> (PEM) as roots, as
    /// <c>openssl s_client -CAfile</c> does, and still requires the name to match.
    /// </summary>
    public static RemoteCertificateValidationCallback TrustOnly(string caPath)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(caPath);
        return (_, certificate, _, errors) =>
        {
            if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
            {
                return false;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
        };
    }
}
