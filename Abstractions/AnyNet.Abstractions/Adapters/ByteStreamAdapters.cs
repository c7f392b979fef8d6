using System.IO.Pipelines;
using AnyNet.Adapters.Internal;

namespace AnyNet.Adapters;

/// <summary>Bridges between AnyNet byte streams and .NET's <see cref="Stream"/> and <see cref="IDuplexPipe"/>.</summary>
public static class ByteStreamAdapters
{
    /// <summary>
    /// Wraps an AnyNet byte stream as a <see cref="Stream"/> (for <c>SslStream</c>, <c>StreamReader</c>, serializers...).
    /// </summary>
    /// <remarks>
    /// It is async-first: <c>ReadAsync</c> is <see cref="IByteReceiveStream.ReceiveAsync"/> (0 is the end of the stream),
    /// <c>WriteAsync</c> is <see cref="IByteSendStream.SendAsync"/>, <c>FlushAsync</c> does nothing (a completed send already
    /// left), and disposing closes <paramref name="stream"/> unless <paramref name="leaveOpen"/>. AnyNet's exceptions come
    /// through unchanged (they derive from <see cref="IOException"/>, <see cref="ObjectDisposedException"/> and
    /// <see cref="InvalidOperationException"/>, as <see cref="Stream"/> users expect). The synchronous <c>Read</c> and
    /// <c>Write</c> block the calling thread and work off a loop thread; on a thread with a
    /// <see cref="SynchronizationContext"/> (a reactor or libuv loop thread) they throw <see cref="InvalidOperationException"/>
    /// instead of deadlocking. Wrapping the result back with <see cref="AsByteStream(Stream, Func{Stream, CancellationToken, ValueTask}?, bool)"/>
    /// keeps the half-close.
    /// </remarks>
    public static Stream AsStream(this IByteStream stream, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return new ByteStreamStream(stream, leaveOpen);
    }

    /// <summary>
    /// Wraps any <see cref="Stream"/> (a <c>NetworkStream</c>, an <c>SslStream</c>, a pipe, a <c>GZipStream</c>) as an AnyNet
    /// byte stream that follows AnyNet's rules.
    /// </summary>
    /// <remarks>
    /// A second concurrent receive, or send, throws <see cref="BusyResourceException"/>; after closing, operations throw
    /// <see cref="ClosedResourceException"/> (closing cancels operations blocked at that moment, which wakes any stream that
    /// honours cancellation); a receive returns 0 at the end; an <see cref="IOException"/> of the stream becomes a
    /// <see cref="BrokenResourceException"/> with it inside. Every send is followed by a flush. <c>SendEofAsync</c> uses
    /// <paramref name="sendEof"/> if given, else the half-close the stream kind has: a socket's shutdown for
    /// <c>NetworkStream</c>, close_notify for <c>SslStream</c> (the transport under it stays open), <c>SendEofAsync</c> for
    /// a stream made by <see cref="AsStream"/>, and closing for a write-only stream; for any other stream it throws
    /// <see cref="NotSupportedException"/>. Whether a cancelled receive consumed nothing, and whether a zero-length receive
    /// waits for data, is up to the wrapped stream (true for <c>NetworkStream</c> and <c>SslStream</c>).
    /// </remarks>
    public static IByteStream AsByteStream(this Stream stream, Func<Stream, CancellationToken, ValueTask>? sendEof = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return new StreamByteStream(stream, sendEof, leaveOpen);
    }

    /// <summary>
    /// Exposes an AnyNet byte stream as an <see cref="IDuplexPipe"/> with bounded buffers; see <see cref="ByteStreamDuplexPipe"/>
    /// for the backpressure and completion rules.
    /// </summary>
    /// <param name="stream">The stream; it is disposed when both directions have ended, unless <paramref name="leaveOpen"/>.</param>
    /// <param name="inputOptions">Options of the pipe the peer's bytes go into (its <see cref="PipeOptions.PauseWriterThreshold"/> bounds unread input).</param>
    /// <param name="outputOptions">Options of the pipe the application writes into (its threshold bounds unsent output).</param>
    /// <param name="leaveOpen">Keep <paramref name="stream"/> open when the pipe is done.</param>
    /// <param name="waitForDataBeforeAllocating">Wait for readability with a zero-length receive before renting a buffer, so an idle connection holds none (as Kestrel does).</param>
    public static ByteStreamDuplexPipe AsDuplexPipe(this IByteStream stream, PipeOptions? inputOptions = null, PipeOptions? outputOptions = null, bool leaveOpen = false, bool waitForDataBeforeAllocating = true)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return new ByteStreamDuplexPipe(stream, inputOptions, outputOptions, leaveOpen, waitForDataBeforeAllocating);
    }

    /// <summary>
    /// Wraps an <see cref="IDuplexPipe"/> as an AnyNet byte stream: receives read <see cref="IDuplexPipe.Input"/>, sends
    /// write <see cref="IDuplexPipe.Output"/> (waiting while the pipe is above its pause threshold), <c>SendEofAsync</c>
    /// completes the output, and closing completes both (then disposes the pipe if it is <see cref="IAsyncDisposable"/>,
    /// unless <paramref name="leaveOpen"/>). A pipe completed with an exception surfaces as a
    /// <see cref="BrokenResourceException"/> holding it.
    /// </summary>
    public static IByteStream AsByteStream(this IDuplexPipe pipe, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(pipe);
        return new PipeByteStream(pipe, leaveOpen);
    }
}
