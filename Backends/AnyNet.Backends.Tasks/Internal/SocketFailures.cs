using System.Net.Sockets;

namespace AnyNet.Backends.Tasks.Internal;

internal static class SocketFailures
{
    // Maps the runtime's failures to AnyNet's: a socket we closed ourselves is a ClosedResourceException whatever the
    // runtime reported (OperationAborted, ObjectDisposedException, a cancelled wait); any other socket error is the
    // peer's or the network's, a BrokenResourceException. Null: not ours to translate (cancellation passes through).
    public static Exception? Translate(Exception error, bool closedByUs, string resource)
    {
        if (closedByUs && error is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            return new ClosedResourceException($"This {resource} was closed while the operation was waiting.", error);
        }

        return error is SocketException socketError ? SocketErrors.Broken(socketError) : null;
    }

    // The listener and datagram socket own the path they bound: it goes when they do.
    public static void CloseAndUnlink(Socket socket, string? unixPath)
    {
        socket.Dispose();
        if (unixPath is not null)
        {
            File.Delete(unixPath);
        }
    }
}
