using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using AnyNet.Hosting.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AnyNet.Hosting;

/// <summary>Registers AnyNet in an <see cref="IServiceCollection"/>: the backend, its options, and hosted servers.</summary>
public static class AnyNetServiceCollectionExtensions
{
    private static readonly Func<IServiceProvider, IAsyncBackend> s_createBackend = CreateBackend;

    /// <summary>
    /// Registers the AnyNet core services: <see cref="IAsyncBackend"/> as a singleton the container creates (the backend
    /// <see cref="AnyNetOptions.Backend"/> names) and disposes, and <see cref="AnyNetOptions"/> bound from the
    /// configuration section <c>AnyNet</c> and validated at start-up. Calling it again adds nothing new.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configureOptions">Applied after the configuration section, so values it sets win.</param>
    /// <returns>A builder to register backends (<see cref="AnyNetBuilder.AddBackend(string, Func{IServiceProvider, IAsyncBackend})"/>) and servers.</returns>
    public static AnyNetBuilder AddAnyNet(this IServiceCollection services, Action<AnyNetOptions>? configureOptions = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<AnyNetOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<AnyNetOptions>, AnyNetOptionsSetup>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AnyNetOptions>, AnyNetOptionsValidator>());
        if (services.Any(d => d.ServiceType == typeof(IAsyncBackend) && !ReferenceEquals(d.ImplementationFactory, s_createBackend)))
        {
            services.TryAddSingleton<ApplicationBackendMarker>();
        }

        services.TryAddSingleton(s_createBackend);
        services.TryAddSingleton(static sp => new AnyNetMetrics(sp.GetService<IMeterFactory>()));
        if (configureOptions is not null)
        {
            services.Configure(configureOptions);
        }

        return new AnyNetBuilder(services);
    }

    /// <summary>
    /// Registers a hosted server (an <see cref="IHostedService"/>) listening on <paramref name="endpoint"/>; each connection
    /// is served by a <typeparamref name="THandler"/> resolved from a scope created for that connection
    /// (<typeparamref name="THandler"/> is registered as scoped unless it is already registered). Also calls
    /// <see cref="AddAnyNet"/>. Several servers may be registered.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="endpoint">An endpoint string: <c>tcp:7000</c>, <c>tcp:127.0.0.1:7000</c>, <c>tcp:[::1]:7000</c>, <c>unix:/run/app.sock</c>.</param>
    /// <param name="configure">Sets the server's options; <see cref="AnyNetServerOptions.Endpoint"/> starts as <paramref name="endpoint"/>.</param>
    /// <exception cref="FormatException">The endpoint is malformed; the message lists the accepted forms.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static IServiceCollection AddAnyNetServer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(this IServiceCollection services, string endpoint, Action<AnyNetServerOptions>? configure = null)
        where THandler : class, IConnectionHandler
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddScoped<THandler>();
        return services.AddServer(endpoint, static (sp, connection, token) => sp.GetRequiredService<THandler>().HandleAsync(connection, token), configure);
    }

    /// <summary>Registers a hosted server listening on <paramref name="endpoint"/> whose connections <paramref name="handler"/> serves.</summary>
    /// <inheritdoc cref="AddAnyNetServer{THandler}(IServiceCollection, string, Action{AnyNetServerOptions}?)"/>
    public static IServiceCollection AddAnyNetServer(this IServiceCollection services, string endpoint, Func<ISocketStream, CancellationToken, Task> handler, Action<AnyNetServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(handler);
        return services.AddServer(endpoint, (_, connection, token) => handler(connection, token), configure);
    }

    /// <summary>
    /// Registers a hosted server listening on <paramref name="endpoint"/> whose connections <paramref name="handler"/>
    /// serves; its first argument is the connection's scoped service provider.
    /// </summary>
    /// <inheritdoc cref="AddAnyNetServer{THandler}(IServiceCollection, string, Action{AnyNetServerOptions}?)"/>
    public static IServiceCollection AddAnyNetServer(this IServiceCollection services, string endpoint, Func<IServiceProvider, ISocketStream, CancellationToken, Task> handler, Action<AnyNetServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(handler);
        return services.AddServer(endpoint, handler, configure);
    }

    private static IServiceCollection AddServer(this IServiceCollection services, string endpoint, Func<IServiceProvider, ISocketStream, CancellationToken, Task> handler, Action<AnyNetServerOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var options = new AnyNetServerOptions { Endpoint = endpoint };
        configure?.Invoke(options);
        options = options.Clone();
        AnyNetEndPoint endPoint = options.ValidateAndParse();

        services.AddAnyNet();
        var definition = new ServerDefinition(endPoint, options, handler);

        // The definition is the key: the same instance is the hosted service and an entry of IEnumerable<AnyNetServer>.
        services.AddKeyedSingleton(definition, static (sp, key) => new AnyNetServer((ServerDefinition)key!, sp));
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredKeyedService<AnyNetServer>(definition));
        services.AddSingleton(sp => sp.GetRequiredKeyedService<AnyNetServer>(definition));
        return services;
    }

    private static IAsyncBackend CreateBackend(IServiceProvider services)
    {
        // Reading the options runs the validator, so a bad backend name fails here too, with the same message.
        AnyNetOptions options = services.GetRequiredService<IOptions<AnyNetOptions>>().Value;
        if (!BackendSelection.TrySelect(options.Backend, services.GetServices<BackendRegistration>(), out BackendRegistration? registration, out string? error))
        {
            throw new InvalidOperationException(error);
        }

        IAsyncBackend backend = registration.Factory(services)
            ?? throw new InvalidOperationException($"The factory of the AnyNet backend '{registration.Name}' returned null.");
        ILogger? logger = services.GetService<ILoggerFactory>()?.CreateLogger<AnyNetBuilder>();
        if (logger is not null)
        {
            Log.BackendCreated(logger, backend.Name, registration.Name);
        }

        return backend;
    }
}
