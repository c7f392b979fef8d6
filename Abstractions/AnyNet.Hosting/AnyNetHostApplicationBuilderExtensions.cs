using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace AnyNet.Hosting;

/// <summary>Registers AnyNet on an <see cref="IHostApplicationBuilder"/> (<c>Host.CreateApplicationBuilder</c>, <c>WebApplication.CreateBuilder</c>).</summary>
public static class AnyNetHostApplicationBuilderExtensions
{
    /// <summary>Registers the AnyNet core services, with <see cref="AnyNetOptions"/> bound from the builder's <c>AnyNet</c> configuration section.</summary>
    /// <inheritdoc cref="AnyNetServiceCollectionExtensions.AddAnyNet(Microsoft.Extensions.DependencyInjection.IServiceCollection, Action{AnyNetOptions}?)"/>
    public static AnyNetBuilder AddAnyNet(this IHostApplicationBuilder builder, Action<AnyNetOptions>? configureOptions = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Services.AddAnyNet(configureOptions);
    }

    /// <summary>Registers a hosted server on <paramref name="endpoint"/> whose connections <typeparamref name="THandler"/> serves.</summary>
    /// <inheritdoc cref="AnyNetServiceCollectionExtensions.AddAnyNetServer{THandler}(Microsoft.Extensions.DependencyInjection.IServiceCollection, string, Action{AnyNetServerOptions}?)"/>
    public static IHostApplicationBuilder AddAnyNetServer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(this IHostApplicationBuilder builder, string endpoint, Action<AnyNetServerOptions>? configure = null)
        where THandler : class, IConnectionHandler
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddAnyNetServer<THandler>(endpoint, configure);
        return builder;
    }

    /// <summary>Registers a hosted server on <paramref name="endpoint"/> whose connections <paramref name="handler"/> serves.</summary>
    /// <inheritdoc cref="AnyNetServiceCollectionExtensions.AddAnyNetServer{THandler}(Microsoft.Extensions.DependencyInjection.IServiceCollection, string, Action{AnyNetServerOptions}?)"/>
    public static IHostApplicationBuilder AddAnyNetServer(this IHostApplicationBuilder builder, string endpoint, Func<ISocketStream, CancellationToken, Task> handler, Action<AnyNetServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddAnyNetServer(endpoint, handler, configure);
        return builder;
    }

    /// <summary>Registers a hosted server on <paramref name="endpoint"/> whose connections <paramref name="handler"/> serves, with the connection's scoped services.</summary>
    /// <inheritdoc cref="AnyNetServiceCollectionExtensions.AddAnyNetServer{THandler}(Microsoft.Extensions.DependencyInjection.IServiceCollection, string, Action{AnyNetServerOptions}?)"/>
    public static IHostApplicationBuilder AddAnyNetServer(this IHostApplicationBuilder builder, string endpoint, Func<IServiceProvider, ISocketStream, CancellationToken, Task> handler, Action<AnyNetServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddAnyNetServer(endpoint, handler, configure);
        return builder;
    }

    /// <summary>
    /// Registers one hosted server per endpoint string listed under the configuration key
    /// <paramref name="configurationKey"/> (for example <c>"App": { "Endpoints": [ "tcp:7000", "unix:/run/app.sock" ] }</c>
    /// with the key <c>App:Endpoints</c>), or per <paramref name="defaultEndpoints"/> when the key has no values. Each
    /// server's <see cref="AnyNetServerOptions.ConfigurationKey"/> is the entry's key (<c>App:Endpoints:0</c>), so a
    /// malformed endpoint, or one that cannot be bound, is reported with its key and value.
    /// </summary>
    /// <param name="builder">The host builder.</param>
    /// <param name="configurationKey">The configuration key of the list of endpoint strings.</param>
    /// <param name="defaultEndpoints">The endpoints used when the configuration lists none.</param>
    /// <param name="configure">Sets each server's options.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="FormatException">An endpoint is malformed; the message starts with its configuration key.</exception>
    public static IHostApplicationBuilder AddAnyNetServers<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(this IHostApplicationBuilder builder, string configurationKey, IEnumerable<string> defaultEndpoints, Action<AnyNetServerOptions>? configure = null)
        where THandler : class, IConnectionHandler
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configurationKey);
        ArgumentNullException.ThrowIfNull(defaultEndpoints);
        var entries = builder.Configuration.GetSection(configurationKey).GetChildren()
            .Where(child => child.Value is not null)
            .Select(child => (Key: child.Path, Value: child.Value!))
            .ToList();
        if (entries.Count == 0)
        {
            entries = defaultEndpoints.Select((endpoint, i) => (Key: $"{configurationKey} (default {i})", Value: endpoint)).ToList();
        }

        foreach ((string key, string value) in entries)
        {
            builder.Services.AddAnyNetServer<THandler>(value, options =>
            {
                options.ConfigurationKey = key;
                configure?.Invoke(options);
            });
        }

        return builder;
    }
}
