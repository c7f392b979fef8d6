using System.Net;

namespace AnyNet;

/// <summary>Accepts incoming connections.</summary>
/// <typeparam name="TStream">The kind of stream each accepted connection is.</typeparam>
public interface IListener<TStream> : IAsyncDisposable
    where TStream : IAsyncDisposable
{
    /// <summary>The bound address; for TCP with port 0 it carries the real port.</summary>
    EndPoint LocalEndPoint { get; }

    /// <summary>Waits for and accepts the next connection. A cancelled accept accepted nothing.</summary>
    /// <exception cref="ClosedResourceException">The listener was disposed (also while the accept waits).</exception>
    /// <exception cref="BusyResourceException">Another accept is already waiting on this listener.</exception>
    ValueTask<TStream> AcceptAsync(CancellationToken cancellationToken = default);
}
