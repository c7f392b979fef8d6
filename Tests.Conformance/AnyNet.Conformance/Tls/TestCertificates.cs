using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AnyNet.Conformance;

/// <summary>Self-signed certificates made in memory for the TLS areas (no files, no network).</summary>
public static class TestCertificates
{
    private static readonly Lazy<X509Certificate2> s_localhost = new(() => Create("localhost"));
    private static readonly Lazy<X509Certificate2> s_other = new(() => Create("other.example"));

    /// <summary>A certificate for <c>localhost</c> and 127.0.0.1, with its private key.</summary>
    public static X509Certificate2 Localhost => s_localhost.Value;

    /// <summary>A certificate for <c>other.example</c> only, with its private key.</summary>
    public static X509Certificate2 OtherHost => s_other.Value;

    /// <summary>Server options presenting <paramref name="certificate"/> (default: <see cref="Localhost"/>).</summary>
    public static SslServerAuthenticationOptions Server(X509Certificate2? certificate = null, params string[] alpn) => new()
    {
        ServerCertificate = certificate ?? Localhost,
        ApplicationProtocols = alpn.Length == 0 ? null : alpn.Select(p => new SslApplicationProtocol(p)).ToList(),
    };

    /// <summary>Client options that trust exactly <paramref name="trusted"/> (default: both test certificates) and check the host name.</summary>
    public static SslClientAuthenticationOptions Client(string? targetHost = "localhost", X509Certificate2? trusted = null, params string[] alpn)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        if (trusted is null)
        {
            policy.CustomTrustStore.Add(Localhost);
            policy.CustomTrustStore.Add(OtherHost);
        }
        else
        {
            policy.CustomTrustStore.Add(trusted);
        }

        return new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            CertificateChainPolicy = policy,
            ApplicationProtocols = alpn.Length == 0 ? null : alpn.Select(p => new SslApplicationProtocol(p)).ToList(),
        };
    }

    /// <summary>The certificate in PEM form (for an external client's CA file).</summary>
    public static string ToPem(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return certificate.ExportCertificatePem();
    }

    private static X509Certificate2 Create(string host)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={host}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(host);
        if (host == "localhost")
        {
            names.AddIpAddress(IPAddress.Loopback);
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, critical: false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 ephemeral = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));

        // An ephemeral key is not usable by every platform's TLS server; a PFX round trip gives a persisted one.
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pfx), password: null);
    }
}
