using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace AnyNet.Samples.MiniRedis;

/// <summary>
/// Builds RESP2 replies into one growing buffer, so the replies to a whole batch of pipelined commands go out
/// in one send (Redis does the same: replies accumulate in the client's output buffer until the socket is writable).
/// </summary>
internal sealed class RespWriter
{
    private ArrayBufferWriter<byte> _buffer = new(4096);

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.WrittenMemory;

    public int WrittenCount => _buffer.WrittenCount;

    public void Clear()
    {
        // Do not keep a huge buffer alive after one large reply (e.g. MGET of big values).
        if (_buffer.Capacity > 1024 * 1024)
        {
            _buffer = new ArrayBufferWriter<byte>(4096);
        }
        else
        {
            _buffer.ResetWrittenCount();
        }
    }

    public void Ok() => Raw("+OK\r\n"u8);

    public void Simple(string text)
    {
        Raw("+"u8);
        Ascii(text);
        Raw("\r\n"u8);
    }

    public void Error(string message)
    {
        Raw("-"u8);
        Ascii(message);
        Raw("\r\n"u8);
    }

    public void Integer(long value) => Number((byte)':', value);

    public void Null() => Raw("$-1\r\n"u8);

    public void Bulk(ReadOnlySpan<byte> value)
    {
        Number((byte)'$', value.Length);
        Raw(value);
        Raw("\r\n"u8);
    }

    public void Bulk(string value) => Bulk(Encoding.UTF8.GetBytes(value));

    public void ArrayHeader(int count) => Number((byte)'*', count);

    public void Raw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_buffer.GetSpan(bytes.Length));
        _buffer.Advance(bytes.Length);
    }

    private void Ascii(string text)
    {
        int max = Encoding.UTF8.GetMaxByteCount(text.Length);
        int written = Encoding.UTF8.GetBytes(text, _buffer.GetSpan(max));
        _buffer.Advance(written);
    }

    private void Number(byte prefix, long value)
    {
        Span<byte> span = _buffer.GetSpan(24);
        span[0] = prefix;
        Utf8Formatter.TryFormat(value, span[1..], out int written);
        span[1 + written] = (byte)'\r';
        span[2 + written] = (byte)'\n';
        _buffer.Advance(written + 3);
    }
}
