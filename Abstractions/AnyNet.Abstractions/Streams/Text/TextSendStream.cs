using System.Buffers;
using System.Text;
using AnyNet.Internal;

namespace AnyNet;

/// <summary>
/// Encodes text onto a byte stream (AnyIO <c>TextSendStream</c>), UTF-8 unless told otherwise. The encoder is
/// incremental: a surrogate pair split across two sends is encoded correctly.
/// </summary>
/// <remarks>
/// A string that cannot be encoded (a lone surrogate) throws <see cref="EncoderFallbackException"/> by default, before
/// any of that piece is sent; with <see cref="InvalidTextHandling.Replace"/> it becomes U+FFFD. Encoding uses a pooled
/// buffer, so sends allocate nothing. One send at a time (<see cref="BusyResourceException"/> otherwise); a cancelled
/// send may have sent a prefix, as with byte streams.
/// </remarks>
/// <example>
/// <code>
/// await using var text = new TextSendStream(connection);
/// await text.SendAsync("héllo wörld\n", token);
/// </code>
/// </example>
public sealed class TextSendStream : IObjectSendStream<string>, ITypedAttributeProvider
{
    private const int ChunkChars = 2048;

    private readonly IByteSendStream _inner;
    private readonly bool _leaveOpen;
    private readonly Encoder _encoder;
    private readonly ResourceGuard _sending = new("sending");
    private int _disposed;

    /// <summary>Encodes onto <paramref name="inner"/>.</summary>
    /// <param name="inner">The byte stream.</param>
    /// <param name="encoding">The encoding; UTF-8 (no BOM) when null.</param>
    /// <param name="invalidText">Throw (the default) or replace strings that cannot be encoded.</param>
    /// <param name="leaveOpen">When true, disposing this stream leaves <paramref name="inner"/> open.</param>
    public TextSendStream(IByteSendStream inner, Encoding? encoding = null, InvalidTextHandling invalidText = InvalidTextHandling.Throw, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _leaveOpen = leaveOpen;
        Encoding = TextEncodings.WithFallbacks(encoding, invalidText);
        _encoder = Encoding.GetEncoder();
    }

    /// <summary>The encoding in use.</summary>
    public Encoding Encoding { get; }

    /// <summary>Encodes and sends <paramref name="item"/>.</summary>
    public ValueTask SendAsync(string item, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(item);
        return SendAsync(item.AsMemory(), cancellationToken);
    }

    /// <summary>Encodes and sends <paramref name="text"/> (a trailing high surrogate waits for the next send).</summary>
    /// <exception cref="EncoderFallbackException">The text cannot be encoded and invalid text throws.</exception>
    public ValueTask SendAsync(ReadOnlyMemory<char> text, CancellationToken cancellationToken = default) =>
        EncodeAndSendAsync(text, flush: false, cancellationToken);

    /// <summary>
    /// Sends what the encoder still holds (a lone high surrogate at the very end: an error, or U+FFFD), then half-closes
    /// the byte stream if it is an <see cref="IByteStream"/>, else closes it.
    /// </summary>
    public async ValueTask SendEofAsync(CancellationToken cancellationToken = default)
    {
        await EncodeAndSendAsync(ReadOnlyMemory<char>.Empty, flush: true, cancellationToken);
        if (_inner is IByteStream duplex)
        {
            await duplex.SendEofAsync(cancellationToken);
        }
        else
        {
            await _inner.DisposeAsync();
        }
    }

    /// <summary>Closes the stream (and the byte stream unless <c>leaveOpen</c>). Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && !_leaveOpen)
        {
            await _inner.DisposeAsync();
        }
    }

    private async ValueTask EncodeAndSendAsync(ReadOnlyMemory<char> text, bool flush, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new ClosedResourceException("This text stream was closed.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        using (_sending.Enter())
        {
            byte[] bytes = ArrayPool<byte>.Shared.Rent(Encoding.GetMaxByteCount(ChunkChars));
            try
            {
                do
                {
                    ReadOnlyMemory<char> chunk = text[..Math.Min(text.Length, ChunkChars)];
                    bool last = chunk.Length == text.Length;
                    _encoder.Convert(chunk.Span, bytes, flush && last, out int charsUsed, out int bytesUsed, out _);
                    text = text[charsUsed..];
                    if (bytesUsed > 0)
                    {
                        await _inner.SendAsync(bytes.AsMemory(0, bytesUsed), cancellationToken);
                    }
                }
                while (!text.IsEmpty);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(bytes);
            }
        }
    }

    /// <summary>Forwards to the wrapped byte stream (its socket attributes, for example).</summary>
    public bool TryGetAttribute<T>(TypedAttribute<T> attribute, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out T value) =>
        TypedAttributes.Forward(_inner, attribute, out value);
}
