using System.Runtime.InteropServices;

namespace AnyNet;

/// <summary>
/// A Unix domain stream socket that can pass open file descriptors to its peer (<c>SCM_RIGHTS</c>, unix(7); AnyIO's
/// <c>UNIXSocketStream.send_fds</c>/<c>receive_fds</c>). The descriptors ride with the bytes of one message: the
/// receiver gets duplicates that refer to the same open files (pipes, sockets, regular files), owned by it.
/// </summary>
/// <remarks>
/// Streams of backends with <see cref="BackendCapabilities.FdPassing"/> implement it; a TCP stream of such a backend may
/// implement it too and throws <see cref="NotSupportedException"/> (only Unix sockets carry descriptors).
/// A send and <see cref="SendFdsAsync"/> share the sending side, a receive and <see cref="ReceiveFdsAsync"/> the
/// receiving side: using both at once is a <see cref="BusyResourceException"/>.
/// </remarks>
public interface IFdPassingStream : ISocketStream
{
    /// <summary>
    /// Sends <paramref name="message"/> with duplicates of <paramref name="handles"/> attached to its first byte. The
    /// handles stay owned by the caller (the kernel takes its own references when the call is made).
    /// </summary>
    /// <param name="message">At least one byte: a stream socket carries descriptors only with data.</param>
    /// <param name="handles">1 to <see cref="Backends.UnixRights.MaxDescriptors"/> open descriptors.</param>
    /// <param name="cancellationToken">Cancels a send that waits for room; like a byte send, a prefix may have been sent.</param>
    /// <exception cref="ArgumentException">An empty message, no handle, a closed or invalid handle, or a descriptor the kernel does not know (EBADF): the message names its index and number.</exception>
    /// <exception cref="ArgumentOutOfRangeException">More than <see cref="Backends.UnixRights.MaxDescriptors"/> handles.</exception>
    /// <exception cref="NotSupportedException">The stream is not a Unix domain socket.</exception>
    /// <exception cref="BrokenResourceException">The peer or the connection failed.</exception>
    ValueTask SendFdsAsync(ReadOnlyMemory<byte> message, IReadOnlyList<SafeHandle> handles, CancellationToken cancellationToken = default);

    /// <summary>
    /// Receives bytes into <paramref name="buffer"/> and the descriptors that came with them (close-on-exec, owned by
    /// the caller: dispose them). Bytes sent without descriptors arrive with an empty handle array.
    /// </summary>
    /// <param name="buffer">At least one byte.</param>
    /// <param name="maxHandles">The most descriptors the caller accepts in one message, 1 to <see cref="Backends.UnixRights.MaxDescriptors"/>.</param>
    /// <param name="cancellationToken">A cancelled receive took nothing.</param>
    /// <returns>The byte count (0 at the end of the stream) and the received descriptors.</returns>
    /// <exception cref="ArgumentException">An empty buffer.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxHandles"/> out of range.</exception>
    /// <exception cref="IOException">
    /// The peer sent more descriptors than <paramref name="maxHandles"/> (or the kernel truncated the control data,
    /// MSG_CTRUNC): every descriptor that arrived was closed, the bytes of that message are lost, the stream stays usable.
    /// </exception>
    /// <exception cref="NotSupportedException">The stream is not a Unix domain socket.</exception>
    ValueTask<FdReceiveResult> ReceiveFdsAsync(Memory<byte> buffer, int maxHandles, CancellationToken cancellationToken = default);
}
