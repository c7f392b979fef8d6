using System.Net.Security;

namespace AnyNet.Tls.Internal;

/// <summary>Copies of authentication options, so that AnyNet never changes an object the caller may reuse.</summary>
internal static class TlsOptions
{
    public static SslClientAuthenticationOptions Copy(SslClientAuthenticationOptions source)
    {
        SslClientAuthenticationOptions copy = CopyPortable(source);
        if (OperatingSystem.IsLinux() || OperatingSystem.IsWindows())
        {
            copy.AllowRsaPkcs1Padding = source.AllowRsaPkcs1Padding;
            copy.AllowRsaPssPadding = source.AllowRsaPssPadding;
        }

        return copy;
    }

    private static SslClientAuthenticationOptions CopyPortable(SslClientAuthenticationOptions source) => new()
    {
        AllowRenegotiation = source.AllowRenegotiation,
        AllowTlsResume = source.AllowTlsResume,
        ApplicationProtocols = source.ApplicationProtocols,
        CertificateChainPolicy = source.CertificateChainPolicy,
        CertificateRevocationCheckMode = source.CertificateRevocationCheckMode,
        CipherSuitesPolicy = source.CipherSuitesPolicy,
        ClientCertificateContext = source.ClientCertificateContext,
        ClientCertificates = source.ClientCertificates,
        EnabledSslProtocols = source.EnabledSslProtocols,
        EncryptionPolicy = source.EncryptionPolicy,
        LocalCertificateSelectionCallback = source.LocalCertificateSelectionCallback,
        RemoteCertificateValidationCallback = source.RemoteCertificateValidationCallback,
        TargetHost = source.TargetHost,
    };
}
