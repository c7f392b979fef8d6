using System.Buffers.Text;

namespace AnyNet.Samples.MiniRedis;

/// <summary>The outcome of one <see cref="RespParser.TryParse"/> call.</summary>
internal enum RespParseStatus
{
    /// <summary>One whole command was parsed (it may have no arguments: an empty inline line).</summary>
    Complete,

    /// <summary>The buffer ends inside a command: receive more and call again with the same start.</summary>
    Incomplete,

    /// <summary>The bytes are not RESP, or break a limit: reply with the error and close (what Redis does).</summary>
    Error,
}

/// <summary>
/// Parses one client command from the front of a buffer: a RESP2 multi-bulk array of bulk strings
/// (<c>*2\r\n$3\r\nGET\r\n$1\r\nk\r\n</c>) or an inline command (<c>GET k\r\n</c>, what nc and telnet send).
/// It is incremental and stateless: an incomplete command consumes nothing, so the caller parses again from the
/// same place once more bytes came. The arguments are slices of the caller's buffer, valid until it moves them.
/// </summary>
/// <remarks>
/// Limits follow Redis's networking.c: a bulk longer than the configured maximum (Redis: proto-max-bulk-len,
/// 512 MB), more than 1024*1024 array elements, and an inline line over 64 KiB are protocol errors.
/// </remarks>
internal static class RespParser
{
    public const int MaxArguments = 1024 * 1024;
    public const int MaxInlineLength = 64 * 1024;

    /// <summary>Parses one command from the front of <paramref name="buffer"/>.</summary>
    /// <param name="buffer">The received bytes.</param>
    /// <param name="maxBulkLength">The largest bulk string accepted.</param>
    /// <param name="arguments">Receives the command name and its arguments (slices of <paramref name="buffer"/>).</param>
    /// <param name="consumed">On success, the bytes the command took; when incomplete, at least how many bytes the
    /// command needs in all (so the caller can wait for a large bulk in one go instead of growing step by step).</param>
    /// <param name="error">On error, the message (without the "ERR " prefix).</param>
    public static RespParseStatus TryParse(ReadOnlyMemory<byte> buffer, int maxBulkLength, List<ReadOnlyMemory<byte>> arguments, out int consumed, out string? error)
    {
        arguments.Clear();
        consumed = buffer.Length + 1;
        error = null;
        ReadOnlySpan<byte> span = buffer.Span;
        if (span.IsEmpty)
        {
            return RespParseStatus.Incomplete;
        }

        return span[0] == (byte)'*'
            ? ParseMultiBulk(buffer, maxBulkLength, arguments, ref consumed, ref error)
            : ParseInline(buffer, arguments, ref consumed, ref error);
    }

    private static RespParseStatus ParseMultiBulk(ReadOnlyMemory<byte> buffer, int maxBulkLength, List<ReadOnlyMemory<byte>> arguments, ref int consumed, ref string? error)
    {
        ReadOnlySpan<byte> span = buffer.Span;
        int position = 0;
        RespParseStatus status = ReadNumberLine(span, ref position, (byte)'*', MaxArguments, "multibulk length", out long count, ref error);
        if (status != RespParseStatus.Complete)
        {
            return status;
        }

        for (long i = 0; i < count; i++)
        {
            if (position >= span.Length)
            {
                return RespParseStatus.Incomplete;
            }

            if (span[position] != (byte)'$')
            {
                error = $"Protocol error: expected '$', got '{Printable(span[position])}'";
                return RespParseStatus.Error;
            }

            status = ReadNumberLine(span, ref position, (byte)'$', maxBulkLength, "bulk length", out long length, ref error);
            if (status != RespParseStatus.Complete)
            {
                return status;
            }

            if (length < 0)
            {
                error = "Protocol error: invalid bulk length";
                return RespParseStatus.Error;
            }

            if (span.Length - position < length + 2)
            {
                consumed = (int)Math.Min(int.MaxValue, position + length + 2);
                return RespParseStatus.Incomplete;
            }

            if (span[position + (int)length] != (byte)'\r' || span[position + (int)length + 1] != (byte)'\n')
            {
                error = "Protocol error: bulk string not terminated by CRLF";
                return RespParseStatus.Error;
            }

            arguments.Add(buffer.Slice(position, (int)length));
            position += (int)length + 2;
        }

        consumed = position;
        return RespParseStatus.Complete;
    }

    /// <summary>Reads <c>{prefix}{digits}\r\n</c> at <paramref name="position"/>, checking the number against a limit.</summary>
    private static RespParseStatus ReadNumberLine(ReadOnlySpan<byte> span, ref int position, byte prefix, long max, string what, out long value, ref string? error)
    {
        value = 0;
        ReadOnlySpan<byte> rest = span[(position + 1)..];
        int end = rest.IndexOf((byte)'\r');
        if (end < 0 || end + 1 >= rest.Length)
        {
            // No full line yet; a length line is at most 20 digits, so a longer one is garbage, not slowness.
            if (rest.Length > 32)
            {
                error = $"Protocol error: invalid {what}";
                return RespParseStatus.Error;
            }

            return RespParseStatus.Incomplete;
        }

        if (rest[end + 1] != (byte)'\n' || !Utf8Parser.TryParse(rest[..end], out value, out int used) || used != end)
        {
            error = $"Protocol error: invalid {what}";
            return RespParseStatus.Error;
        }

        // A negative array length is an empty command (Redis ignores it); a negative bulk length is rejected by the caller.
        if (value > max)
        {
            error = $"Protocol error: invalid {what}";
            return RespParseStatus.Error;
        }

        position += 1 + end + 2;
        return RespParseStatus.Complete;
    }

    private static RespParseStatus ParseInline(ReadOnlyMemory<byte> buffer, List<ReadOnlyMemory<byte>> arguments, ref int consumed, ref string? error)
    {
        ReadOnlySpan<byte> span = buffer.Span;
        int newline = span.IndexOf((byte)'\n');
        if (newline < 0)
        {
            if (span.Length > MaxInlineLength)
            {
                error = "Protocol error: too big inline request";
                return RespParseStatus.Error;
            }

            return RespParseStatus.Incomplete;
        }

        int lineEnd = newline > 0 && span[newline - 1] == (byte)'\r' ? newline - 1 : newline;
        int i = 0;
        while (i < lineEnd)
        {
            while (i < lineEnd && IsSpace(span[i]))
            {
                i++;
            }

            if (i >= lineEnd)
            {
                break;
            }

            if (span[i] is (byte)'"' or (byte)'\'')
            {
                // Quoted argument (redis-cli's and Redis's sdssplitargs rule, without escapes): up to the same quote,
                // which must be followed by a space or the end of the line.
                byte quote = span[i];
                int close = span[(i + 1)..lineEnd].IndexOf(quote);
                if (close < 0 || (i + 1 + close + 1 < lineEnd && !IsSpace(span[i + 1 + close + 1])))
                {
                    error = "Protocol error: unbalanced quotes in request";
                    return RespParseStatus.Error;
                }

                arguments.Add(buffer.Slice(i + 1, close));
                i += close + 2;
                continue;
            }

            int start = i;
            while (i < lineEnd && !IsSpace(span[i]))
            {
                i++;
            }

            arguments.Add(buffer.Slice(start, i - start));
        }

        consumed = newline + 1;
        return RespParseStatus.Complete;
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t';

    private static string Printable(byte b) => b is >= 0x20 and < 0x7f ? ((char)b).ToString() : $"\\x{b:x2}";
}
