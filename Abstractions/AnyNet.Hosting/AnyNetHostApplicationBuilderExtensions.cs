using System.Diagnostics.CodeAnalysis;
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
}
