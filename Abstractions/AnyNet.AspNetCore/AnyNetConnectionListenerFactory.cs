using System.Buffers;
using System.Net;
using System.Net.Sockets;
using AnyNet.AspNetCore.Internal;
using AnyNet.Backends.Libuv;
using AnyNet.Backends.Reactor;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AnyNet.AspNetCore;

/// <summary>
/// Kestrel's transport over AnyNet: binds <see cref="IPEndPoint"/> and <see cref="UnixDomainSocketEndPoint"/> endpoints
/// through the application's <see cref="IAsyncBackend"/> (the one <c>AddAnyNet</c> registers). A backend with several
/// loops (the built-in <c>reactor</c> and <c>libuv</c> get <see cref="AnyNetTransportOptions.Loops"/>) spreads the
/// connections over them. Registered by <c>UseAnyNet</c>.
/// </summary>
public sealed class AnyNetConnectionListenerFactory : IConnectionListenerFactory, IConnectionListenerFactorySelector, IAsyncDisposable
{
    private readonly IServiceProvider _services;
    private IAsyncBackend? _backend;
    private readonly AnyNetTransportOptions _options;
    private readonly ILogger _logger;
    private readonly IMemoryPoolFactory<byte>? _memoryPoolFactory;
    private volatile bool _disposed;

    /// <summary>Creates the factory from the container: the AnyNet backend, the transport options, logging, Kestrel's memory pool factory.</summary>
    /// <exception cref="InvalidOperationException">The configured backend is not registered (the message lists the registered ones).</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public AnyNetConnectionListenerFactory(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        _services = services;
        _options = services.GetRequiredService<IOptions<AnyNetTransportOptions>>().Value;
        _options.Validate();
        _logger = services.GetService<ILoggerFactory>()?.CreateLogger("AnyNet.AspNetCore") ?? NullLogger.Instance;
        _memoryPoolFactory = services.GetService<IMemoryPoolFactory<byte>>();
    }

    /// <summary>The backend the transport serves on: the application's <see cref="IAsyncBackend"/> singleton.</summary>
    /// <remarks>
    /// Resolved on first use (Kestrel's first bind, after the host validated the options): building the application
    /// does not create the backend, and an unknown backend name fails the host's start with the options error, which
    /// lists the registered backends.
    /// </remarks>
    public IAsyncBackend Backend => _backend ??= _services.GetRequiredService<IAsyncBackend>();

    /// <summary>
    /// How many loops serve the connections: the backend's own count (<see cref="ReactorBackend.LoopCount"/>,
    /// <see cref="LibuvBackend.LoopCount"/>), which for the built-in <c>reactor</c> and <c>libuv</c> is
    /// <see cref="AnyNetTransportOptions.Loops"/> (default: one per core); 1 for any other backend.
    /// </summary>
    public int LoopCount => Backend switch
    {
        ReactorBackend reactor => reactor.LoopCount,
        LibuvBackend libuv => libuv.LoopCount,
        _ => 1,
    };

    /// <inheritdoc />
    public bool CanBind(EndPoint endpoint) => endpoint switch
    {
        IPEndPoint => true,
        UnixDomainSocketEndPoint => Backend.Capabilities.HasFlag(BackendCapabilities.UnixSockets),
        _ => false,
    };

    /// <inheritdoc />
    /// <exception cref="AddressInUseException">The endpoint is in use; Kestrel reports it as its usual address-in-use error.</exception>
    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ObjectDisposedException.ThrowIf(_disposed, this);
        MemoryPool<byte> pool = _memoryPoolFactory?.Create(new MemoryPoolOptions { Owner = "anynet" }) ?? new NonDisposingPool(MemoryPool<byte>.Shared);
        try
        {
            return await AnyNetConnectionListener.BindAsync(endpoint, Backend, LoopCount, pool, _options, _logger, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            pool.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Refuses further binds. The backend is the container's (disposed with it) and each listener is disposed by
    /// Kestrel, so nothing else is left to release.
    /// </summary>
    public ValueTask DisposeAsync()
    {
        _disposed = true;
        return ValueTask.CompletedTask;
    }

    /// <summary>The shared pool must not be disposed with a listener.</summary>
    private sealed class NonDisposingPool(MemoryPool<byte> inner) : MemoryPool<byte>
    {
        public override int MaxBufferSize => inner.MaxBufferSize;

        public override IMemoryOwner<byte> Rent(int minBufferSize = -1) => inner.Rent(minBufferSize);

        protected override void Dispose(bool disposing)
        {
        }
    }
}
