using System.Runtime.InteropServices;

namespace AnyNet;

/// <summary>
/// The signals received since <see cref="IAsyncBackend.OpenSignalReceiver"/>, in arrival order (AnyIO's signal
/// receiver). Enumerating it waits for the next signal; the enumeration ends when the receiver is disposed.
/// </summary>
/// <remarks>
/// Like every POSIX signal mechanism, deliveries of one signal that arrive before the receiver reads the previous one
/// may be merged into one: a receiver tells "it happened since you last looked", not how many times.
/// </remarks>
public interface ISignalReceiver : IAsyncEnumerable<PosixSignal>, IAsyncDisposable
{
    /// <summary>Waits for the next signal.</summary>
    /// <exception cref="ClosedResourceException">The receiver was disposed.</exception>
    ValueTask<PosixSignal> ReceiveAsync(CancellationToken cancellationToken = default);
}
