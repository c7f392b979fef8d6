using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AnyNet.AspNetCore;
using AnyNet.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using KestrelListenOptions = Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions;

namespace AnyNet.Conformance.AspNetCore;

/// <summary>A real Kestrel on the AnyNet transport, bound to 127.0.0.1 port 0 (and optionally HTTPS and a Unix socket).</summary>
internal sealed class KestrelTestServer : IAsyncDisposable
{
    public const string BackendUnderTest = "under-test";

    private bool _started;

    private KestrelTestServer(WebApplication app, TestLogSink log)
    {
        App = app;
        Log = log;
    }

    public WebApplication App { get; }

    public TestLogSink Log { get; }

    public IReadOnlyList<Uri> Addresses => [.. App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a))];

    public Uri Http => Addresses.First(a => a.Scheme == "http" && !a.Host.Contains("unix", StringComparison.Ordinal));

    public Uri Https => Addresses.First(a => a.Scheme == "https");

    public static X509Certificate2 CreateCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }

    /// <summary>Builds (does not start) a server whose AnyNet backend is made by <paramref name="createBackend"/>.</summary>
    public static KestrelTestServer Create(
        Func<IAsyncBackend> createBackend,
        Action<WebApplication> map,
        Action<AnyNetTransportOptions>? transport = null,
        Action<KestrelServerOptions>? kestrel = null,
        Action<KestrelListenOptions>? listen = null,
        Action<WebApplicationBuilder>? configure = null)
    {
        var log = new TestLogSink();
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        // Hermetic: the slim builder reads appsettings.json from the content root, environment variables and the command
        // line, and a "Logging" section there overrides SetMinimumLevel below (configuration filter rules win). An
        // appsettings.json with "Default": "Information" in the test output once hid every Debug entry these tests wait
        // for, so a server under test is configured by this method and by the test alone.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(log).SetMinimumLevel(LogLevel.Debug);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.Services.AddAnyNet().AddBackend(BackendUnderTest, _ => createBackend());
        builder.WebHost.UseAnyNet(options =>
        {
            options.Backend = BackendUnderTest;
            options.Loops = 1;
            transport?.Invoke(options);
        });
        builder.WebHost.ConfigureKestrel(options =>
        {
            options.Listen(IPAddress.Loopback, 0, l => listen?.Invoke(l));
            kestrel?.Invoke(options);
        });
        configure?.Invoke(builder);
        WebApplication app = builder.Build();
        map(app);
        return new KestrelTestServer(app, log);
    }

    public static HttpClient CreateClient(int maxConnections = int.MaxValue, Version? version = null, string? unixPath = null, X509Certificate2? trust = null)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, presented, _, _) =>
                    trust is not null && presented is not null && presented.GetCertHashString() == trust.GetCertHashString() },
        };
        if (unixPath is not null)
        {
            handler.ConnectCallback = async (_, token) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(unixPath), token);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }

        var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        if (version is not null)
        {
            client.DefaultRequestVersion = version;
            client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        return client;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await App.StartAsync(cancellationToken);
        _started = true;
    }

    public async ValueTask DisposeAsync()
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            if (_started)
            {
                await App.StopAsync(limit.Token);
            }
        }
        finally
        {
            try
            {
                await App.DisposeAsync();
            }
            catch (Exception) when (!_started)
            {
                // A host that failed to start (the test expected it) may fail again while disposing.
            }
        }
    }
}
