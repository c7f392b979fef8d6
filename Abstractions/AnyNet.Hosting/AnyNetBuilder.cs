using System.Diagnostics.CodeAnalysis;
using AnyNet.Hosting.Internal;
using Microsoft.Extensions.DependencyInjection;

namespace AnyNet.Hosting;

/// <summary>
/// Returned by <c>AddAnyNet</c>: registers backends by name and hosted servers. A backend's own registration
/// extension (say <c>AddReactorBackend()</c>) is a one-line extension method on this type.
/// </summary>
public sealed class AnyNetBuilder
{
    internal AnyNetBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection AnyNet is registered in.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Makes a backend available under <paramref name="name"/> (compared ignoring case); <see cref="AnyNetOptions.Backend"/>
    /// chooses which registered backend the container creates. Registering a name again replaces the earlier factory.
    /// </summary>
    /// <param name="name">The name configuration uses, for example <c>tasks</c>, <c>reactor</c>, <c>libuv</c>.</param>
    /// <param name="factory">Creates the backend once, when first needed; the container owns and disposes it.</param>
    public AnyNetBuilder AddBackend(string name, Func<IServiceProvider, IAsyncBackend> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        Services.AddSingleton(new BackendRegistration(name, factory));
        return this;
    }

    /// <summary>Makes <typeparamref name="TBackend"/> available under <paramref name="name"/>, created with its constructor's services injected.</summary>
    public AnyNetBuilder AddBackend<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TBackend>(string name)
        where TBackend : class, IAsyncBackend
        => AddBackend(name, static services => ActivatorUtilities.CreateInstance<TBackend>(services));

    /// <summary>Registers a hosted server on <paramref name="endpoint"/> whose connections <typeparamref name="THandler"/> serves.</summary>
    /// <inheritdoc cref="AnyNetServiceCollectionExtensions.AddAnyNetServer{THandler}(IServiceCollection, string, Action{AnyNetServerOptions}?)" path="/exception"/>
    public AnyNetBuilder AddServer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(string endpoint, Action<AnyNetServerOptions>? configure = null)
        where THandler : class, IConnectionHandler
    {
        Services.AddAnyNetServer<THandler>(endpoint, configure);
        return this;
    }

    /// <summary>Registers a hosted server on <paramref name="endpoint"/> whose connections <paramref name="handler"/> serves.</summary>
    public AnyNetBuilder AddServer(string endpoint, Func<ISocketStream, CancellationToken, Task> handler, Action<AnyNetServerOptions>? configure = null)
    {
        Services.AddAnyNetServer(endpoint, handler, configure);
        return this;
    }

    /// <summary>Registers a hosted server on <paramref name="endpoint"/> whose connections <paramref name="handler"/> serves, with the connection's scoped services.</summary>
    public AnyNetBuilder AddServer(string endpoint, Func<IServiceProvider, ISocketStream, CancellationToken, Task> handler, Action<AnyNetServerOptions>? configure = null)
    {
        Services.AddAnyNetServer(endpoint, handler, configure);
        return this;
    }
}
