namespace AnyNet;

/// <summary>
/// Joins an object send stream and an object receive stream into one <see cref="IObjectStream{T}"/> (AnyIO
/// <c>StapledObjectStream</c>), e.g. the ends of two memory object streams to make an in-memory duplex channel.
/// </summary>
/// <remarks><see cref="SendEofAsync"/> closes the send stream; <see cref="DisposeAsync"/> closes both.</remarks>
/// <example>
/// <code>
/// var (toServer, serverInbox) = MemoryObjectStream.Create&lt;string&gt;(10);
/// var (toClient, clientInbox) = MemoryObjectStream.Create&lt;string&gt;(10);
/// await using var client = new StapledObjectStream&lt;string&gt;(toServer, clientInbox);
/// await using var server = new StapledObjectStream&lt;string&gt;(toClient, serverInbox);
/// </code>
/// </example>
/// <typeparam name="T">The item type.</typeparam>
public sealed class StapledObjectStream<T> : IObjectStream<T>, ITypedAttributeProvider
{
    private int _sendClosed;
    private int _disposed;

    /// <summary>Staples <paramref name="sendStream"/> and <paramref name="receiveStream"/> together.</summary>
    public StapledObjectStream(IObjectSendStream<T> sendStream, IObjectReceiveStream<T> receiveStream)
    {
        ArgumentNullException.ThrowIfNull(sendStream);
        ArgumentNullException.ThrowIfNull(receiveStream);
        SendStream = sendStream;
        ReceiveStream = receiveStream;
    }

    /// <summary>The stream sends go to.</summary>
    public IObjectSendStream<T> SendStream { get; }

    /// <summary>The stream receives come from.</summary>
    public IObjectReceiveStream<T> ReceiveStream { get; }

    /// <inheritdoc />
    public ValueTask<T> ReceiveAsync(CancellationToken cancellationToken = default) => ReceiveStream.ReceiveAsync(cancellationToken);

    /// <inheritdoc />
    public ValueTask SendAsync(T item, CancellationToken cancellationToken = default) => SendStream.SendAsync(item, cancellationToken);

    /// <summary>Closes the send stream (the peer's receives end after what was sent); receiving still works. Idempotent.</summary>
    public ValueTask SendEofAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        return Interlocked.Exchange(ref _sendClosed, 1) == 0 ? SendStream.DisposeAsync() : ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        ReceiveStream.GetAsyncEnumerator(cancellationToken);

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
    public bool TryGetAttribute<TValue>(TypedAttribute<TValue> attribute, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out TValue value) =>
        TypedAttributes.Forward(SendStream, attribute, out value) || TypedAttributes.Forward(ReceiveStream, attribute, out value);
}
