using System.Net;
using AnyNet.Backends.Libuv.Interop;

namespace AnyNet.Backends.Libuv.Internal;

/// <summary>
/// The accept of a listener on a backend with several loops (await is not allowed in the unsafe part of the class):
/// the connection is accepted on the listener's loop and handed to the next loop in turn (see <see cref="UvStream.Adopt"/>).
/// </summary>
internal sealed partial class UvListener
{
    private async ValueTask<ISocketStream> AcceptAndHandOffAsync(LoopSet loops, CancellationToken cancellationToken)
    {
        ISocketStream accepted = await AcceptHereAsync(cancellationToken);
        LibuvLoop target = loops.Next();
        if (target == Loop)
        {
            return accepted;
        }

        // Once accepted, the connection is the caller's: the hand-off is not cancellable (a cancelled accept accepts
        // nothing, so cancellation must not drop a connection that was taken).
        var stream = (UvStream)accepted;
        int fd = Loop.IsLoopThread ? stream.DetachDescriptor() : await Loop.InvokeAsync(static s => new ValueTask<int>(s.DetachDescriptor()), stream);
        var handOff = new HandOff(target, fd, _isPipe, LocalEndPoint);
        try
        {
            return await target.InvokeAsync(static h => new ValueTask<ISocketStream>(h.Adopt()), handOff);
        }
        catch (ObjectDisposedException)
        {
            // The target loop stopped (the backend is being disposed) before it adopted the descriptor: close it here.
            handOff.CloseUnadopted();
            throw;
        }
    }

    /// <summary>A descriptor on its way to another loop; whoever takes it first (that loop, or the failure path) closes it.</summary>
    private sealed class HandOff(LibuvLoop target, int fd, bool isPipe, EndPoint local)
    {
        private int _fd = fd;

        public UvStream Adopt()
        {
            int owned = Interlocked.Exchange(ref _fd, -1);
            return owned < 0 ? throw new ObjectDisposedException("libuv", "The 'libuv' backend was disposed.") : UvStream.Adopt(target, owned, isPipe, local);
        }

        public void CloseUnadopted()
        {
            int owned = Interlocked.Exchange(ref _fd, -1);
            if (owned >= 0)
            {
                _ = Libc.close(owned);
            }
        }
    }
}
