using System.Runtime.CompilerServices;
using AnyNet.Internal;

namespace AnyNet;

/// <summary>
/// Lines over a byte stream: each received item is one line without its end (<c>\n</c> or <c>\r\n</c>, both accepted);
/// each sent item gets the configured <see cref="Terminator"/> appended.
/// </summary>
/// <remarks>
/// <para>
/// <b>Who owns a line.</b> A received line is a view of the stream's pooled buffer, valid until the next receive on
/// this stream (or its disposal); decode it or call <c>ToArray()</c> to keep it. Sent lines stay the caller's.
/// </para>
/// <para>
/// <b>Limits.</b> A line longer than <see cref="MaxLineLength"/> bytes (without its end) throws
/// <see cref="FrameTooLargeException"/> as soon as that many bytes arrived without a line end, holding no more than that
/// in memory; the stream ending inside a line throws <see cref="IncompleteReadException"/> (a last line without its end
/// is an error, as in RFC 9112 and RFC 5321, not silently accepted). Both break the receiving side, after which receives
/// throw <see cref="BrokenResourceException"/> with the first error inside.
/// </para>
/// <para>Cancellation: as for <see cref="LengthPrefixedFrameStream"/>.</para>
/// </remarks>
/// <example>
/// <code>
/// await using var lines = new LineFrameStream(connection, maxLineLength: 4096);
/// await foreach (ReadOnlyMemory&lt;byte&gt; line in lines.WithCancellation(token))
/// {
///     await lines.SendAsync(line, token);   // echo; a received line stays valid until the next receive
/// }
/// </code>
/// </example>
public sealed class LineFrameStream : IObjectStream<ReadOnlyMemory<byte>>, ITypedAttributeProvider
{
    /// <summary>The default maximum line length: 8 KiB (the line limit of common HTTP servers).</summary>
    public const int DefaultMaxLineLength = 8192;

    private static readonly ReadOnlyMemory<byte> s_lf = "\n"u8.ToArray();
    private static readonly ReadOnlyMemory<byte> s_crlf = "\r\n"u8.ToArray();

    private readonly FramedStreamCore _core;

    /// <summary>Frames <paramref name="stream"/> into lines.</summary>
    /// <param name="stream">The byte stream; if it is a <see cref="BufferedByteStream"/> it is used as is.</param>
    /// <param name="maxLineLength">The longest line accepted in either direction, in bytes, without its end.</param>
    /// <param name="terminator">The line end to send.</param>
    /// <param name="leaveOpen">When true, disposing this stream leaves <paramref name="stream"/> open.</param>
    public LineFrameStream(IByteStream stream, int maxLineLength = DefaultMaxLineLength, LineTerminator terminator = LineTerminator.LineFeed, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegative(maxLineLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxLineLength, Array.MaxLength - 2);
        if (!Enum.IsDefined(terminator))
        {
            throw new ArgumentOutOfRangeException(nameof(terminator), terminator, "Unknown line terminator.");
        }

        MaxLineLength = maxLineLength;
        Terminator = terminator;
        _core = new FramedStreamCore(stream, leaveOpen);
    }

    /// <summary>The longest line accepted, in bytes, without its end.</summary>
    public int MaxLineLength { get; }

    /// <summary>The line end appended to sent lines.</summary>
    public LineTerminator Terminator { get; }

    /// <summary>The buffered stream the lines are read from (for switching protocols, e.g. to an HTTP body).</summary>
    public BufferedByteStream InnerStream => _core.Buffered;

    /// <summary>Receives the next line without its end, as a view valid until the next receive.</summary>
    /// <exception cref="EndOfStreamException">The stream ended cleanly after a line end.</exception>
    /// <exception cref="IncompleteReadException">The stream ended inside a line (this breaks the stream).</exception>
    /// <exception cref="FrameTooLargeException">The line is longer than <see cref="MaxLineLength"/> (this breaks the stream).</exception>
    /// <exception cref="BrokenResourceException">An earlier framing error broke the stream, or the transport failed.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ReadOnlyMemory<byte>> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        _core.CheckReceive(cancellationToken);
        BufferedByteStream buffered = _core.Buffered;
        ReadOnlyMemory<byte> line;
        try
        {
            // One more byte than the limit leaves room for the '\r' of a "\r\n".
            line = await buffered.ReceiveUntilAsync(s_lf, MaxLineLength + 1, cancellationToken);
        }
        catch (IncompleteReadException) when (buffered.BufferedCount == 0)
        {
            throw new EndOfStreamException("The stream ended (after a complete line).");
        }
        catch (IncompleteReadException error)
        {
            throw _core.BreakReceive(new IncompleteReadException($"The stream ended inside a line ({buffered.BufferedCount} bytes without a line end).", error));
        }
        catch (DelimiterNotFoundException error)
        {
            throw _core.BreakReceive(TooLong(error));
        }

        if (!line.IsEmpty && line.Span[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        return line.Length <= MaxLineLength ? line : throw _core.BreakReceive(TooLong(null));
    }

    /// <summary>Sends <paramref name="item"/> followed by <see cref="Terminator"/>.</summary>
    /// <exception cref="ArgumentException">The line contains '\n', ends with '\r' (it would not come back the same), or is longer than <see cref="MaxLineLength"/>.</exception>
    public ValueTask SendAsync(ReadOnlyMemory<byte> item, CancellationToken cancellationToken = default)
    {
        if (item.Length > MaxLineLength)
        {
            return ValueTask.FromException(new ArgumentOutOfRangeException(nameof(item), item.Length, $"The line is longer than the maximum of {MaxLineLength} bytes."));
        }

        if (item.Span.Contains((byte)'\n') || (!item.IsEmpty && item.Span[^1] == (byte)'\r'))
        {
            return ValueTask.FromException(new ArgumentException("A line must not contain '\\n' or end with '\\r'.", nameof(item)));
        }

        return _core.SendFrameAsync(0, item, Terminator == LineTerminator.LineFeed ? s_lf : s_crlf, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask SendEofAsync(CancellationToken cancellationToken = default) => _core.SendEofAsync(cancellationToken);

    /// <summary>Receives lines until the clean end of the stream; each is valid until the loop asks for the next.</summary>
    public IAsyncEnumerator<ReadOnlyMemory<byte>> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        FramedStreamCore.EnumerateAsync(this, cancellationToken);

    /// <summary>Closes the stream (and the wrapped one unless <c>leaveOpen</c>); lines handed out become invalid. Idempotent.</summary>
    public ValueTask DisposeAsync() => _core.DisposeAsync();

    private FrameTooLargeException TooLong(Exception? inner) =>
        new($"A line longer than the maximum of {MaxLineLength} bytes arrived (no line end within {MaxLineLength} bytes).", null, MaxLineLength, inner);

    /// <summary>Forwards to the framed byte stream (its socket attributes, for example).</summary>
    public bool TryGetAttribute<T>(TypedAttribute<T> attribute, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out T value) =>
        TypedAttributes.Forward(_core.Buffered, attribute, out value);
}
