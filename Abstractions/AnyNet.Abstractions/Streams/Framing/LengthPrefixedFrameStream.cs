using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using AnyNet.Internal;

namespace AnyNet;

/// <summary>
/// Messages over a byte stream, each sent as a big-endian length prefix of 1, 2 or 4 bytes followed by that many bytes
/// (the framing of many binary protocols, and of Netty's <c>LengthFieldBasedFrameDecoder</c> with its defaults).
/// </summary>
/// <remarks>
/// <para>
/// <b>Who owns a frame.</b> A received frame is a view of the stream's pooled buffer: it is valid until the next
/// receive on this stream (or its disposal). Process it in place, or call <c>ToArray()</c> to keep it. With
/// <c>await foreach</c> that means: use each frame inside the loop body. A sent frame is copied (or sent) before
/// <see cref="SendAsync"/> completes; the caller keeps ownership of its memory.
/// </para>
/// <para>
/// <b>Limits.</b> A prefix announcing more than <see cref="MaxFrameSize"/> bytes throws
/// <see cref="FrameTooLargeException"/> at once, before any of the frame is read or any memory for it is reserved; the
/// buffer only ever grows with bytes that really arrived. The stream ending inside a frame throws
/// <see cref="IncompleteReadException"/>. Both break the receiving side (later receives throw
/// <see cref="BrokenResourceException"/> with the first error inside), because the position in the byte stream is lost.
/// </para>
/// <para>
/// <b>Cancellation.</b> A cancelled receive consumed nothing. A send cancelled (or failed) after it started may have put
/// part of a frame on the wire, so it breaks the sending side; a send whose token was already cancelled sent nothing.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// await using var frames = new LengthPrefixedFrameStream(connection, prefixLength: 4, maxFrameSize: 1 &lt;&lt; 20);
/// await frames.SendAsync("hello"u8.ToArray(), token);
/// await foreach (ReadOnlyMemory&lt;byte&gt; frame in frames.WithCancellation(token))
/// {
///     Handle(frame.Span);            // valid until the next frame is received
/// }
/// </code>
/// </example>
public sealed class LengthPrefixedFrameStream : IObjectStream<ReadOnlyMemory<byte>>, ITypedAttributeProvider
{
    /// <summary>The default maximum frame size: 1 MiB.</summary>
    public const int DefaultMaxFrameSize = 1 << 20;

    private readonly FramedStreamCore _core;

    /// <summary>Frames <paramref name="stream"/>.</summary>
    /// <param name="stream">The byte stream; if it is a <see cref="BufferedByteStream"/> it is used as is (so bytes it already buffered are read first).</param>
    /// <param name="prefixLength">1, 2 or 4 bytes of big-endian length before each frame.</param>
    /// <param name="maxFrameSize">The largest frame accepted in either direction (at most what the prefix can express); by default <see cref="DefaultMaxFrameSize"/>, or less when the prefix cannot express that (255 for 1 byte, 65,535 for 2).</param>
    /// <param name="leaveOpen">When true, disposing this stream leaves <paramref name="stream"/> open.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="prefixLength"/> is not 1, 2 or 4, or <paramref name="maxFrameSize"/> is negative or more than the prefix can express.</exception>
    public LengthPrefixedFrameStream(IByteStream stream, int prefixLength = 4, int? maxFrameSize = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (prefixLength is not (1 or 2 or 4))
        {
            throw new ArgumentOutOfRangeException(nameof(prefixLength), prefixLength, "The length prefix must be 1, 2 or 4 bytes.");
        }

        long expressible = prefixLength == 4 ? Array.MaxLength - prefixLength : (1L << (8 * prefixLength)) - 1;
        int max = maxFrameSize ?? (int)Math.Min(DefaultMaxFrameSize, expressible);
        ArgumentOutOfRangeException.ThrowIfNegative(max, nameof(maxFrameSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(max, expressible, nameof(maxFrameSize));
        PrefixLength = prefixLength;
        MaxFrameSize = max;
        _core = new FramedStreamCore(stream, leaveOpen);
    }

    /// <summary>The size of the length prefix in bytes.</summary>
    public int PrefixLength { get; }

    /// <summary>The largest frame accepted, in bytes (without the prefix).</summary>
    public int MaxFrameSize { get; }

    /// <summary>The buffered stream the frames are read from (for switching protocols, e.g. to read what follows raw).</summary>
    public BufferedByteStream InnerStream => _core.Buffered;

    /// <summary>Receives the next frame, as a view valid until the next receive on this stream.</summary>
    /// <exception cref="EndOfStreamException">The stream ended cleanly between frames.</exception>
    /// <exception cref="IncompleteReadException">The stream ended inside a frame (this breaks the stream).</exception>
    /// <exception cref="FrameTooLargeException">The prefix announced more than <see cref="MaxFrameSize"/> (this breaks the stream).</exception>
    /// <exception cref="BrokenResourceException">An earlier framing error broke the stream, or the transport failed.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ReadOnlyMemory<byte>> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        _core.CheckReceive(cancellationToken);
        BufferedByteStream buffered = _core.Buffered;
        ReadOnlyMemory<byte> head;
        try
        {
            head = await buffered.PeekAsync(PrefixLength, cancellationToken);
        }
        catch (IncompleteReadException) when (buffered.BufferedCount == 0)
        {
            throw new EndOfStreamException("The stream ended (between frames).");
        }
        catch (IncompleteReadException error)
        {
            throw _core.BreakReceive(new IncompleteReadException($"The stream ended inside a frame's length prefix ({buffered.BufferedCount} of {PrefixLength} bytes).", error));
        }

        long length = PrefixLength switch
        {
            1 => head.Span[0],
            2 => BinaryPrimitives.ReadUInt16BigEndian(head.Span),
            _ => BinaryPrimitives.ReadUInt32BigEndian(head.Span),
        };
        if (length > MaxFrameSize)
        {
            // Checked before reading or reserving anything for the frame: a hostile 4 GiB prefix costs nothing.
            throw _core.BreakReceive(new FrameTooLargeException(
                $"The peer announced a frame of {length} bytes; the maximum is {MaxFrameSize}.", length, MaxFrameSize));
        }

        try
        {
            ReadOnlyMemory<byte> frame = await buffered.ReceiveExactlyAsync(PrefixLength + (int)length, cancellationToken);
            return frame[PrefixLength..];
        }
        catch (IncompleteReadException error)
        {
            throw _core.BreakReceive(new IncompleteReadException(
                $"The stream ended inside a frame: {buffered.BufferedCount - PrefixLength} of {length} bytes arrived.", error));
        }
    }

    /// <summary>Sends <paramref name="item"/> as one frame.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The frame is larger than <see cref="MaxFrameSize"/>.</exception>
    /// <exception cref="BrokenResourceException">An earlier send failed part-way, or the transport failed.</exception>
    public ValueTask SendAsync(ReadOnlyMemory<byte> item, CancellationToken cancellationToken = default)
    {
        if (item.Length > MaxFrameSize)
        {
            return ValueTask.FromException(new ArgumentOutOfRangeException(nameof(item), item.Length, $"The frame is larger than the maximum frame size of {MaxFrameSize} bytes."));
        }

        return _core.SendFrameAsync(PrefixLength, item, ReadOnlyMemory<byte>.Empty, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask SendEofAsync(CancellationToken cancellationToken = default) => _core.SendEofAsync(cancellationToken);

    /// <summary>Receives frames until the clean end of the stream; each is valid until the loop asks for the next.</summary>
    public IAsyncEnumerator<ReadOnlyMemory<byte>> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        FramedStreamCore.EnumerateAsync(this, cancellationToken);

    /// <summary>Closes the stream (and the wrapped one unless <c>leaveOpen</c>); frames handed out become invalid. Idempotent.</summary>
    public ValueTask DisposeAsync() => _core.DisposeAsync();

    /// <summary>Forwards to the framed byte stream (its socket attributes, for example).</summary>
    public bool TryGetAttribute<T>(TypedAttribute<T> attribute, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out T value) =>
        TypedAttributes.Forward(_core.Buffered, attribute, out value);
}
