using System.Runtime.CompilerServices;

namespace AnyNet;

/// <summary>
/// Joins a send stream and a receive stream into one <see cref="IByteStream"/> (AnyIO <c>StapledByteStream</c>): for
/// example the two ends of two one-way pipes, or a process's stdout and stdin.
/// </summary>
/// <remarks>
/// <see cref="SendEofAsync"/> closes (disposes) the send stream, which is how a one-way stream says "no more data";
/// <see cref="DisposeAsync"/> closes both.
/// </remarks>
/// <example>
/// <code>
/// await using var duplex = new StapledByteStream(requestPipe, responsePipe);
/// await duplex.SendAsync(request, token);
/// await duplex.SendEofAsync(token);          // the other side now reads the end of the stream
/// int n = await duplex.ReceiveAsync(buffer, token);
/// </code>
/// </example>
public sealed class StapledByteStream : IByteStream, ITypedAttributeProvider
{
    private int _sendClosed;
    private int _sending;
    private int _disposed;

    /// <summary>Staples <paramref name="sendStream"/> and <paramref name="receiveStream"/> together.</summary>
    public StapledByteStream(IByteSendStream sendStream, IByteReceiveStream receiveStream)
    {
        ArgumentNullException.ThrowIfNull(sendStream);
        ArgumentNullException.ThrowIfNull(receiveStream);
        SendStream = sendStream;
        ReceiveStream = receiveStream;
    }

    /// <summary>The stream sends go to.</summary>
    public IByteSendStream SendStream { get; }

    /// <summary>The stream receives come from.</summary>
    public IByteReceiveStream ReceiveStream { get; }

    /// <inheritdoc />
    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ReceiveStream.ReceiveAsync(buffer, cancellationToken);

    /// <inheritdoc />
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _sending, 1) != 0)
        {
            throw BusyResourceException.For("sending");
        }

        try
        {
            await SendStream.SendAsync(data, cancellationToken);
        }
        finally
        {
            Volatile.Write(ref _sending, 0);
        }
    }

    /// <summary>Closes the send stream (the peer reads the end of the stream); receiving still works. Idempotent.</summary>
    /// <exception cref="BusyResourceException">A send is in progress: closing under it would truncate it silently.</exception>
    public ValueTask SendEofAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (Volatile.Read(ref _sending) != 0)
        {
            return ValueTask.FromException(BusyResourceException.For("sending"));
        }

        return Interlocked.Exchange(ref _sendClosed, 1) == 0 ? SendStream.DisposeAsync() : ValueTask.CompletedTask;
    }

    /// <summary>Closes both streams (the send stream first). Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            if (Interlocked.Exchange(ref _sendClosed, 1) == 0)
            {
                await SendStream.DisposeAsync();
            }
        }
        finally
        {
            await ReceiveStream.DisposeAsync();
        }
    }

    /// <summary>Looks the key up in the send stream, then in the receive stream (AnyIO: the send stream's attributes win).</summary>
    public bool TryGetAttribute<T>(TypedAttribute<T> attribute, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out T value) =>
        TypedAttributes.Forward(SendStream, attribute, out value) || TypedAttributes.Forward(ReceiveStream, attribute, out value);
}
