using System.Diagnostics.CodeAnalysis;
using AnyNet.Hosting.Internal;
using Microsoft.Extensions.Hosting;

namespace AnyNet.Hosting;

/// <summary>Registers hosted servers defined in configuration under <c>AnyNet:Servers:&lt;name&gt;</c>.</summary>
public static class AnyNetServerConfigurationExtensions
{
    /// <summary>
    /// Registers the server named <paramref name="name"/> in configuration: one hosted server per endpoint of
    /// <c>AnyNet:Servers:&lt;name&gt;:Endpoints</c> (or the single <c>:Endpoint</c>), each served by <typeparamref name="THandler"/>,
    /// with the settings beside them (<c>MaxConnections</c>, <c>DrainTimeout</c>, <c>IdleTimeout</c>, <c>Backlog</c>,
    /// <c>ReusePort</c>, <c>RemoveStaleUnixSocket</c>). For example, in appsettings.json:
    /// <code>
    /// "AnyNet": { "Servers": { "echo": { "Endpoints": [ "tcp:7000", "unix:/run/echo.sock" ], "MaxConnections": 1000, "DrainTimeout": "00:00:05" } } }
    /// </code>
    /// </summary>
    /// <remarks>
    /// Every value is checked here, when the application registers its services, so that a bad one fails start-up with
    /// one message naming its key and value (<see cref="AnyNetHost.RunAsync(Func{IHost}, TextWriter?, CancellationToken)"/>
    /// prints it as one line): a malformed endpoint, a limit that is not a positive whole number, a time span that does
    /// not parse or is negative, and a key that is not a server setting (a misspelt one would otherwise be ignored). The
    /// values are read explicitly, without reflection, so this is trimming- and AOT-safe. <paramref name="configure"/>
    /// runs after them, so values it sets win.
    /// </remarks>
    /// <param name="builder">The host builder.</param>
    /// <param name="name">The server's name: the key under <c>AnyNet:Servers</c>.</param>
    /// <param name="defaultEndpoints">The endpoints when the configuration lists none; null: the configuration must list one.</param>
    /// <param name="configure">Sets each server's options after the configuration's values.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="FormatException">A value under the server's section is bad; the message names its key and value.</exception>
    public static IHostApplicationBuilder AddAnyNetServerFromConfiguration<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(this IHostApplicationBuilder builder, string name, IEnumerable<string>? defaultEndpoints = null, Action<AnyNetServerOptions>? configure = null)
        where THandler : class, IConnectionHandler
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ServerConfiguration server = ServerConfiguration.Read(builder.Configuration, name, defaultEndpoints);
        foreach ((string key, string endpoint) in server.Endpoints)
        {
            builder.Services.AddAnyNetServer<THandler>(endpoint, options =>
            {
                server.ApplyTo(options);
                options.ConfigurationKey = key;
                configure?.Invoke(options);
            });
        }

        return builder;
    }
}
