using System.Text;

namespace AnyNet;

/// <summary>
/// Text in both directions over a byte stream (AnyIO <c>TextStream</c>): a <see cref="TextReceiveStream"/> and a
/// <see cref="TextSendStream"/> sharing one encoding.
/// </summary>
/// <example>
/// <code>
/// await using var text = new TextStream(connection);                       // UTF-8, invalid bytes throw
/// await text.SendAsync("¿qué tal?\n", token);
/// string reply = await text.ReceiveAsync(token);                          // whatever text arrived next
/// </code>
/// </example>
public sealed class TextStream : IObjectStream<string>, ITypedAttributeProvider
{
    private readonly IByteStream _inner;
    private readonly bool _leaveOpen;
    private int _disposed;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The byte stream.</param>
    /// <param name="encoding">The encoding of both directions; UTF-8 (no BOM) when null.</param>
    /// <param name="invalidText">Throw (the default) or replace invalid text, in both directions.</param>
    /// <param name="leaveOpen">When true, disposing this stream leaves <paramref name="inner"/> open.</param>
    public TextStream(IByteStream inner, Encoding? encoding = null, InvalidTextHandling invalidText = InvalidTextHandling.Throw, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _leaveOpen = leaveOpen;
        Receiver = new TextReceiveStream(inner, encoding, invalidText, leaveOpen: true);
        Sender = new TextSendStream(inner, encoding, invalidText, leaveOpen: true);
    }

    /// <summary>The receiving half.</summary>
    public TextReceiveStream Receiver { get; }

    /// <summary>The sending half.</summary>
    public TextSendStream Sender { get; }

    /// <summary>The encoding in use.</summary>
    public Encoding Encoding => Receiver.Encoding;

    /// <inheritdoc cref="TextReceiveStream.ReceiveAsync(CancellationToken)"/>
    public ValueTask<string> ReceiveAsync(CancellationToken cancellationToken = default) => Receiver.ReceiveAsync(cancellationToken);

    /// <inheritdoc cref="TextReceiveStream.ReceiveAsync(Memory{char}, CancellationToken)"/>
    public ValueTask<int> ReceiveAsync(Memory<char> buffer, CancellationToken cancellationToken = default) => Receiver.ReceiveAsync(buffer, cancellationToken);

    /// <inheritdoc cref="TextSendStream.SendAsync(string, CancellationToken)"/>
    public ValueTask SendAsync(string item, CancellationToken cancellationToken = default) => Sender.SendAsync(item, cancellationToken);

    /// <inheritdoc cref="TextSendStream.SendAsync(ReadOnlyMemory{char}, CancellationToken)"/>
    public ValueTask SendAsync(ReadOnlyMemory<char> text, CancellationToken cancellationToken = default) => Sender.SendAsync(text, cancellationToken);

    /// <summary>Flushes the encoder and half-closes the byte stream; receiving still works.</summary>
    public ValueTask SendEofAsync(CancellationToken cancellationToken = default) => Sender.SendEofAsync(cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerator<string> GetAsyncEnumerator(CancellationToken cancellationToken = default) => Receiver.GetAsyncEnumerator(cancellationToken);

    /// <summary>Closes both halves and the byte stream (unless <c>leaveOpen</c>). Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await Receiver.DisposeAsync();
        await Sender.DisposeAsync();
        if (!_leaveOpen)
        {
            await _inner.DisposeAsync();
        }
    }

    /// <summary>Forwards to the wrapped byte stream (its socket attributes, for example).</summary>
    public bool TryGetAttribute<T>(TypedAttribute<T> attribute, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out T value) =>
        TypedAttributes.Forward(_inner, attribute, out value);
}
