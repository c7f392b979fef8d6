using AnyNet.AspNetCore.Internal;
using AnyNet.Hosting;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace AnyNet.AspNetCore;

/// <summary>Runs Kestrel on an AnyNet backend: <c>builder.WebHost.UseAnyNet()</c>.</summary>
public static class AnyNetWebHostBuilderExtensions
{
    /// <summary>
    /// Makes Kestrel accept connections through AnyNet. The backend is the one <c>AnyNet:Backend</c> names in
    /// configuration (<c>tasks</c>, <c>reactor</c>, <c>libuv</c>, or one registered with <c>AddAnyNet().AddBackend</c>),
    /// unless <paramref name="configure"/> sets <see cref="AnyNetTransportOptions.Backend"/>. It is the application's
    /// <see cref="IAsyncBackend"/> singleton (<c>AddAnyNet</c>), so the web server and the application's own AnyNet code
    /// share one backend. Call it after <c>UseKestrel</c> (<c>WebApplication.CreateBuilder</c> and
    /// <c>ConfigureWebHostDefaults</c> already did).
    /// </summary>
    /// <param name="builder">The web host builder (<c>builder.WebHost</c>).</param>
    /// <param name="configure">Sets transport options after the <c>AnyNet</c> configuration section was bound.</param>
    public static IWebHostBuilder UseAnyNet(this IWebHostBuilder builder, Action<AnyNetTransportOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.ConfigureServices(services => services.AddAnyNetTransport(configure));
    }

    /// <summary>The service registrations of <see cref="UseAnyNet"/>, for a host built without <see cref="IWebHostBuilder"/>.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets transport options after the <c>AnyNet</c> configuration section was bound.</param>
    public static IServiceCollection AddAnyNetTransport(this IServiceCollection services, Action<AnyNetTransportOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        AnyNetBuilder anyNet = services.AddAnyNet();
        BuiltInBackends.AddMissing(anyNet);

        services.AddOptions<AnyNetTransportOptions>().BindConfiguration(Hosting.AnyNetOptions.SectionName);
        if (configure is not null)
        {
            services.Configure(configure);
        }

        // A backend chosen in code wins over AnyNet:Backend; this runs after the configuration binding of AddAnyNet.
        services.AddSingleton<Microsoft.Extensions.Options.IConfigureOptions<AnyNetOptions>, TransportBackendSetup>();

        services.AddSingleton<AnyNetConnectionListenerFactory>();
        // Kestrel tries the transports registered last first, so this one wins over the Sockets transport that UseKestrel
        // registered; endpoints it cannot bind (named pipes, file handles) still fall through to the others.
        services.AddSingleton<IConnectionListenerFactory>(static sp => sp.GetRequiredService<AnyNetConnectionListenerFactory>());
        return services;
    }
}
