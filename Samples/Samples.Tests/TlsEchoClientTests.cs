using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using AnyNet.Samples.Tests.Infrastructure;

namespace AnyNet.Samples.Tests;

/// <summary>TlsEcho's server checked with openssl s_client, and its client checked against openssl s_server.</summary>
public sealed class TlsEchoClientTests
{
    [SkippableTheory]
    [MemberData(nameof(TestBackends.All), MemberType = typeof(TestBackends))]
    public async Task OpenSsl_s_client_verifies_the_printed_certificate_and_gets_the_echo(string backend)
    {
        string openssl = ExternalTool.Require("openssl");
        using var temp = new TempDirectory();
        await using SampleProcess server = await SampleProcess.StartAsync("TlsEcho", backend);
        string ca = temp.File("ca.pem");
        await File.WriteAllTextAsync(ca, PrintedCertificate(server));

        await using SampleProcess client = await SampleProcess.StartToolAsync(openssl,
            ["s_client", "-connect", $"127.0.0.1:{server.Port}", "-servername", "localhost", "-CAfile", ca, "-verify_return_error", "-quiet"], ready: null);
        await client.WriteLineAsync("hello over tls");
        await client.WriteLineAsync("second line");
        await client.WaitForLineAsync(new Regex("^second line$"), TimeSpan.FromSeconds(20));
        Assert.Contains("hello over tls", client.Snapshot());
    }

    [SkippableTheory]
    [MemberData(nameof(TestBackends.All), MemberType = typeof(TestBackends))]
    public async Task Client_talks_to_openssl_s_server(string backend)
    {
        string openssl = ExternalTool.Require("openssl");
        using var temp = new TempDirectory();
        string cert = temp.File("cert.pem"), key = temp.File("key.pem");
        ExternalTool.ToolResult made = await ExternalTool.RunAsync(openssl,
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
             "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-days", "1"]);
        Assert.True(made.ExitCode == 0, made.ToString());

        // s_server cannot report a port it chose, so take a free one (the race with other programs is harmless here).
        int port = FreePort();
        await using SampleProcess server = await SampleProcess.StartToolAsync(openssl,
            ["s_server", "-accept", $"127.0.0.1:{port}", "-cert", cert, "-key", key, "-rev"], new Regex("^ACCEPT"));
        ExternalTool.ToolResult result = await ExternalTool.RunAsync("dotnet",
            [RepositoryPaths.SampleDll("TlsEcho"), "client", "--backend", backend, "--port", port.ToString(CultureInfo.InvariantCulture), "--ca", cert, "--message", "hello s_server"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("reply: revres_s olleh", result.Stdout, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [MemberData(nameof(TestBackends.All), MemberType = typeof(TestBackends))]
    public async Task Client_refuses_a_certificate_it_does_not_trust(string backend)
    {
        await using SampleProcess server = await SampleProcess.StartAsync("TlsEcho", backend);
        using var temp = new TempDirectory();
        string ca = temp.File("ca.pem");
        await File.WriteAllTextAsync(ca, PrintedCertificate(server));
        ExternalTool.ToolResult trusted = await ExternalTool.RunAsync("dotnet",
            [RepositoryPaths.SampleDll("TlsEcho"), "client", "--backend", backend, "--port", server.Port.ToString(CultureInfo.InvariantCulture), "--ca", ca, "--message", "pinned"]);
        Assert.True(trusted.ExitCode == 0, trusted.ToString());
        Assert.Contains("reply: pinned", trusted.Stdout, StringComparison.Ordinal);

        // Without --ca the system roots decide, and they do not know a certificate made a second ago.
        ExternalTool.ToolResult refused = await ExternalTool.RunAsync("dotnet",
            [RepositoryPaths.SampleDll("TlsEcho"), "client", "--backend", backend, "--port", server.Port.ToString(CultureInfo.InvariantCulture)]);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("AuthenticationException", refused.Stderr, StringComparison.Ordinal);
    }

    private static string PrintedCertificate(SampleProcess server)
    {
        string[] lines = server.Snapshot();
        int begin = Array.IndexOf(lines, "-----BEGIN CERTIFICATE-----");
        int end = Array.IndexOf(lines, "-----END CERTIFICATE-----");
        Assert.True(begin >= 0 && end > begin, "the server did not print its certificate:\n" + string.Join('\n', lines));
        return string.Join('\n', lines[begin..(end + 1)]) + "\n";
    }

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
