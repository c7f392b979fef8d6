using System.Buffers;
using System.Net;
using System.Net.Sockets;
using AnyNet.AspNetCore.Internal;
using AnyNet.Hosting;
using AnyNet.Hosting.Internal;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AnyNet.AspNetCore;

/// <summary>
/// Kestrel's transport over AnyNet: binds <see cref="IPEndPoint"/> and <see cref="UnixDomainSocketEndPoint"/> endpoints
/// through the application's <see cref="IAsyncBackend"/> (the one <c>AddAnyNet</c> registers), plus, for a loop
/// backend, more loops of the same backend (<see cref="AnyNetTransportOptions.Loops"/>). Registered by <c>UseAnyNet</c>.
/// </summary>
public sealed class AnyNetConnectionListenerFactory : IConnectionListenerFactory, IConnectionListenerFactorySelector, IAsyncDisposable
{
    private readonly IServiceProvider _services;
    private IAsyncBackend? _backend;
    private readonly AnyNetTransportOptions _options;
    private readonly ILogger _logger;
    private readonly IMemoryPoolFactory<byte>? _memoryPoolFactory;
    private readonly Lock _gate = new();
    private readonly List<IAsyncBackend> _extraLoops = [];
    private IAsyncBackend[]? _loops;
    private bool _disposed;

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

    /// <summary>The backend the transport serves on (the first loop).</summary>
    /// <remarks>
    /// Resolved on first use (Kestrel's first bind, after the host validated the options): building the application
    /// does not create the backend, and an unknown backend name fails the host's start with the options error, which
    /// lists the registered backends.
    /// </remarks>
    public IAsyncBackend Backend => _backend ??= _services.GetRequiredService<IAsyncBackend>();

    /// <summary>How many loops a TCP endpoint is served by: <see cref="AnyNetTransportOptions.Loops"/> (default: one per core) for a loop backend, else 1.</summary>
    public int LoopCount
    {
        get
        {
            BackendCapabilities needed = BackendCapabilities.SingleThreadedLoop | BackendCapabilities.ReusePort;
            return (Backend.Capabilities & needed) == needed && CanCreateMoreLoops() ? _options.Loops ?? Environment.ProcessorCount : 1;
        }
    }

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
        IReadOnlyList<IAsyncBackend> loops = endpoint is IPEndPoint ? GetLoops() : [Backend];
        MemoryPool<byte> pool = _memoryPoolFactory?.Create(new MemoryPoolOptions { Owner = "anynet" }) ?? new NonDisposingPool(MemoryPool<byte>.Shared);
        try
        {
            return await AnyNetConnectionListener.BindAsync(endpoint, loops, pool, _options, _logger, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            pool.Dispose();
            throw;
        }
    }

    /// <summary>Disposes the extra loops this factory created (the application's own backend is the container's).</summary>
    public async ValueTask DisposeAsync()
    {
        IAsyncBackend[] extra;
        lock (_gate)
        {
            _disposed = true;
            extra = [.. _extraLoops];
            _extraLoops.Clear();
        }

        foreach (IAsyncBackend loop in extra)
        {
            await loop.DisposeAsync().ConfigureAwait(false);
        }
    }

    private IAsyncBackend[] GetLoops()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_loops is not null)
            {
                return _loops;
            }

            int count = LoopCount;
            if (count > 1)
            {
                BackendRegistration registration = SelectRegistration();
                while (_extraLoops.Count < count - 1)
                {
                    _extraLoops.Add(registration.Factory(_services));
                }
            }

            _loops = [Backend, .. _extraLoops];
            return _loops;
        }
    }

    // More loops are more instances of the registered backend; an IAsyncBackend the application registered itself
    // cannot be multiplied.
    private bool CanCreateMoreLoops() =>
        !_services.GetServices<ApplicationBackendMarker>().Any() && TrySelectRegistration(out _);

    private BackendRegistration SelectRegistration() =>
        TrySelectRegistration(out BackendRegistration? registration) ? registration : throw new InvalidOperationException("The AnyNet backend registration is gone.");

    private bool TrySelectRegistration([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out BackendRegistration? registration)
    {
        AnyNetOptions options = _services.GetRequiredService<IOptions<AnyNetOptions>>().Value;
        return BackendSelection.TrySelect(options.Backend, _services.GetServices<BackendRegistration>(), out registration, out _);
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
