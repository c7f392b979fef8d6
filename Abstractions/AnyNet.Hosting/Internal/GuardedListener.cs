using System.Net;
using System.Net.Sockets;

namespace AnyNet.Hosting.Internal;

/// <summary>
/// Keeps a server accepting through transient accept failures (out of file descriptors, a connection reset before it
/// was accepted): each is reported, then the accept is retried after a short, growing pause so that a persistent
/// condition such as EMFILE does not spin the loop. Closing the listener and cancellation still end the accept.
/// </summary>
internal sealed class GuardedListener(ISocketListener inner, TimeProvider timeProvider, Action<Exception> onError) : ISocketListener
{
    private static readonly TimeSpan s_firstPause = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan s_maxPause = TimeSpan.FromSeconds(1);

    private volatile bool _backingOff;

    public EndPoint LocalEndPoint => inner.LocalEndPoint;

    /// <summary>True from a failed accept until the next accept succeeds (what the health check reports as degraded).</summary>
    public bool IsBackingOff => _backingOff;

    public async ValueTask<ISocketStream> AcceptAsync(CancellationToken cancellationToken = default)
    {
        TimeSpan pause = s_firstPause;
        while (true)
        {
            try
            {
                ISocketStream accepted = await inner.AcceptAsync(cancellationToken);
                _backingOff = false;
                return accepted;
            }
            catch (Exception error) when (IsTransient(error))
            {
                _backingOff = true;
                onError(error);
            }

            await Task.Delay(pause, timeProvider, cancellationToken);
            pause = pause * 2 > s_maxPause ? s_maxPause : pause * 2;
        }
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    // ClosedResourceException (an ObjectDisposedException) means the listener was closed, BusyResourceException a
    // bug in the caller: neither is transient. A broken connection or an OS error is.
    private static bool IsTransient(Exception error) => error is SocketException or IOException;
}
