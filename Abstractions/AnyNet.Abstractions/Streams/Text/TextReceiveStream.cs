using System.Buffers;
using System.Text.Unicode;
using System.Runtime.CompilerServices;
using System.Text;
using AnyNet.Internal;

namespace AnyNet;

/// <summary>
/// Decodes a byte stream into text (AnyIO <c>TextReceiveStream</c>), UTF-8 unless told otherwise. The decoder is
/// incremental: a character whose bytes are split across receives decodes correctly.
/// </summary>
/// <remarks>
/// <see cref="ReceiveAsync(CancellationToken)"/> returns whatever text the next bytes decode to (never an empty
/// string); <see cref="ReceiveAsync(Memory{char}, CancellationToken)"/> decodes into the caller's buffer and allocates
/// nothing. Invalid bytes throw <see cref="InvalidDataException"/> by default (then the stream is broken), or become
/// U+FFFD with <see cref="InvalidTextHandling.Replace"/>; the stream ending inside a character is invalid too. One
/// receive at a time (<see cref="BusyResourceException"/> otherwise). A cancelled receive consumed nothing.
/// </remarks>
/// <example>
/// <code>
/// await using var text = new TextReceiveStream(connection);              // UTF-8, strict
/// await foreach (string chunk in text.WithCancellation(token)) { Console.Write(chunk); }
/// </code>
/// </example>
public sealed class TextReceiveStream : IObjectReceiveStream<string>, ITypedAttributeProvider
{
    private const int ByteBufferSize = 4096;

    private readonly IByteReceiveStream _inner;
    private readonly bool _leaveOpen;
    private readonly Decoder _decoder;
    private readonly ResourceGuard _receiving = new("receiving");
    private readonly char[] _chars;
    private readonly bool _utf8;
    private byte[]? _bytes;
    private int _start;
    private int _end;
    private long _offset;
    private bool _ended;
    private Exception? _fault;
    private int _disposed;

    /// <summary>Decodes <paramref name="inner"/>.</summary>
    /// <param name="inner">The byte stream.</param>
    /// <param name="encoding">The encoding; UTF-8 when null. Its own fallbacks are replaced according to <paramref name="invalidText"/>.</param>
    /// <param name="invalidText">Throw (the default) or replace on invalid bytes.</param>
    /// <param name="leaveOpen">When true, disposing this stream leaves <paramref name="inner"/> open.</param>
    public TextReceiveStream(IByteReceiveStream inner, Encoding? encoding = null, InvalidTextHandling invalidText = InvalidTextHandling.Throw, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _leaveOpen = leaveOpen;
        Encoding = TextEncodings.WithFallbacks(encoding, invalidText);
        InvalidText = invalidText;
        _decoder = Encoding.GetDecoder();
        _utf8 = Encoding.CodePage == Encoding.UTF8.CodePage;
        _chars = new char[Encoding.GetMaxCharCount(ByteBufferSize)];
    }

    /// <summary>The encoding in use (with the fallbacks <see cref="InvalidText"/> asks for).</summary>
    public Encoding Encoding { get; }

    /// <summary>What happens with invalid bytes.</summary>
    public InvalidTextHandling InvalidText { get; }

    /// <summary>Receives the next piece of text (at least one character).</summary>
    /// <exception cref="EndOfStreamException">The byte stream ended and everything was decoded.</exception>
    /// <exception cref="InvalidDataException">Invalid bytes arrived (or the stream ended inside a character) and <see cref="InvalidText"/> is <see cref="InvalidTextHandling.Throw"/>.</exception>
    public async ValueTask<string> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        int n = await ReceiveAsync(_chars, cancellationToken);
        return n > 0 ? new string(_chars, 0, n) : throw new EndOfStreamException("The stream ended.");
    }

    /// <summary>
    /// Decodes the next characters into <paramref name="buffer"/> (at least 2 chars, so a surrogate pair fits) and returns
    /// how many; 0 means the end of the stream. Allocates nothing in the steady state.
    /// </summary>
    /// <exception cref="InvalidDataException">Invalid bytes arrived and <see cref="InvalidText"/> is <see cref="InvalidTextHandling.Throw"/>.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReceiveAsync(Memory<char> buffer, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(buffer.Length, 2);
        ThrowIfUnusable();
        cancellationToken.ThrowIfCancellationRequested();
        using (_receiving.Enter())
        {
            while (true)
            {
                ThrowIfUnusable();
                if (_end > _start || _ended)
                {
                    int chars = Decode(buffer.Span);
                    if (chars > 0 || _ended)
                    {
                        return chars;
                    }
                }

                _bytes ??= ArrayPool<byte>.Shared.Rent(ByteBufferSize);
                if (_start > 0)
                {
                    _bytes.AsSpan(_start, _end - _start).CopyTo(_bytes);
                    (_start, _end) = (0, _end - _start);
                }

                // A cancelled receive consumed nothing; the decoder keeps any partial character it has already seen.
                int n = await _inner.ReceiveAsync(_bytes.AsMemory(_end), cancellationToken);
                if (n == 0)
                {
                    _ended = true;
                }

                _end += n;
            }
        }
    }

    /// <summary>Receives text until the end of the stream.</summary>
    public async IAsyncEnumerator<string> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        char[] chars = new char[1024];
        while (true)
        {
            int n = await ReceiveAsync(chars, cancellationToken);
            if (n == 0)
            {
                yield break;
            }

            yield return new string(chars, 0, n);
        }
    }

    /// <summary>Closes the stream (and the byte stream unless <c>leaveOpen</c>). Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (!_leaveOpen)
        {
            await _inner.DisposeAsync();
        }

        // Returned only when no receive is running; a running one fails with ClosedResourceException and drops it.
        if (!_receiving.IsInUse && Interlocked.Exchange(ref _bytes, null) is { } bytes)
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    private int Decode(Span<char> destination)
    {
        ReadOnlySpan<byte> pending = _bytes.AsSpan(_start, _end - _start);
        if (_utf8)
        {
            // Utf8.ToUtf16 keeps no state: an incomplete character at the end stays in our buffer (NeedMoreData), and on
            // invalid input it reports exactly where, after converting the valid bytes before it. So the text before
            // a bad sequence is delivered first and the error comes with the next call, naming the bytes.
            OperationStatus status = Utf8.ToUtf16(pending, destination, out int read, out int written,
                replaceInvalidSequences: InvalidText == InvalidTextHandling.Replace, isFinalBlock: _ended);
            _start += read;
            _offset += read;
            if (status == OperationStatus.InvalidData && written == 0)
            {
                ReadOnlySpan<byte> bad = pending[read..];
                Rune.DecodeFromUtf8(bad, out _, out int length);
                bool truncated = _ended && length >= bad.Length;
                throw Fail(bad[..Math.Max(1, length)], _offset, truncated, null);
            }

            return written;
        }

        try
        {
            _decoder.Convert(pending, destination, flush: _ended, out int bytesUsed, out int charsUsed, out _);
            _start += bytesUsed;
            _offset += bytesUsed;
            return charsUsed;
        }
        catch (DecoderFallbackException error)
        {
            byte[] bad = error.BytesUnknown ?? [];
            throw Fail(bad, _offset + Math.Max(0, error.Index), _ended && error.Index + bad.Length >= pending.Length, error);
        }
    }

    private InvalidDataException Fail(ReadOnlySpan<byte> bad, long offset, bool truncated, Exception? inner)
    {
        string what = truncated ? "The stream ended inside a character" : "Invalid bytes arrived";
        var fault = new InvalidDataException(
            $"{what}: {Convert.ToHexString(bad)} at byte offset {offset} is not valid {Encoding.WebName}.",
            inner ?? new DecoderFallbackException($"Unable to translate bytes [{Convert.ToHexString(bad)}] at offset {offset} to Unicode.", bad.ToArray(), -1));
        _fault = fault;
        return fault;
    }

    private void ThrowIfUnusable()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new ClosedResourceException("This text stream was closed.");
        }

        if (_fault is { } fault)
        {
            throw new BrokenResourceException($"The text stream is broken by an earlier error: {fault.Message}", fault);
        }
    }

    /// <summary>Forwards to the wrapped byte stream (its socket attributes, for example).</summary>
    public bool TryGetAttribute<T>(TypedAttribute<T> attribute, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out T value) =>
        TypedAttributes.Forward(_inner, attribute, out value);
}
