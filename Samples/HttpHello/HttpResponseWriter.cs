using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace AnyNet.Samples.HttpHello;

/// <summary>Writes responses into one buffer, so the responses to pipelined requests leave in one send.</summary>
internal sealed class HttpResponseWriter
{
    private ArrayBufferWriter<byte> _buffer = new(4096);

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.WrittenMemory;

    public int WrittenCount => _buffer.WrittenCount;

    public void Clear()
    {
        if (_buffer.Capacity > 256 * 1024)
        {
            _buffer = new ArrayBufferWriter<byte>(4096);
        }
        else
        {
            _buffer.ResetWrittenCount();
        }
    }

    /// <summary>Writes a whole response with a small body.</summary>
    /// <param name="status">The status line's code and reason, e.g. <c>"200 OK"u8</c>.</param>
    /// <param name="dateHeader">The current <c>Date: ...\r\n</c> line.</param>
    /// <param name="body">The body (its length is sent even when <paramref name="includeBody"/> is false, as HEAD requires).</param>
    /// <param name="includeBody">False for HEAD.</param>
    /// <param name="connection">0: no Connection header; 1: keep-alive (for HTTP/1.0 clients); 2: close.</param>
    /// <param name="extraHeaders">Whole header lines to add (each ending in CRLF), or empty.</param>
    public void Write(ReadOnlySpan<byte> status, ReadOnlySpan<byte> dateHeader, ReadOnlySpan<byte> body, bool includeBody, int connection, ReadOnlySpan<byte> extraHeaders = default)
    {
        Raw("HTTP/1.1 "u8);
        Raw(status);
        Raw("\r\nContent-Length: "u8);
        Span<byte> digits = _buffer.GetSpan(16);
        Utf8Formatter.TryFormat(body.Length, digits, out int written);
        _buffer.Advance(written);
        Raw("\r\nContent-Type: text/plain\r\nServer: AnyNet\r\n"u8);
        Raw(dateHeader);
        Raw(extraHeaders);
        Raw(connection switch { 1 => "Connection: keep-alive\r\n"u8, 2 => "Connection: close\r\n"u8, _ => [] });
        Raw("\r\n"u8);
        if (includeBody)
        {
            Raw(body);
        }
    }

    private void Raw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_buffer.GetSpan(bytes.Length));
        _buffer.Advance(bytes.Length);
    }

    /// <summary>Formats a <c>Date</c> header line (RFC 9110 §5.6.7 IMF-fixdate).</summary>
    public static byte[] FormatDate(DateTimeOffset now) => Encoding.ASCII.GetBytes($"Date: {now.UtcDateTime:R}\r\n");
}
