using System.Buffers.Text;
using System.Text;

namespace AnyNet.Samples.HttpHello;

/// <summary>
/// Parses an HTTP/1.x request head (RFC 9112 §2-§5) from the front of a buffer: the request line, then header lines up
/// to the empty line. It is stateless and incremental: an incomplete head consumes nothing and is parsed again from
/// its start once more bytes arrived (heads are small, so re-scanning costs less than keeping state).
/// </summary>
/// <remarks>
/// Strict where leniency is a known request-smuggling risk (RFC 9112 §11.2): whitespace between a field name and the
/// colon, obsolete line folding, a bare CR, and conflicting Content-Length values are all 400, as in Kestrel.
/// A bare LF ending a line is accepted (RFC 9112 §2.2 allows it).
/// </remarks>
internal static class HttpRequestParser
{
    public static HttpParseStatus TryParse(ReadOnlySpan<byte> buffer, int maxRequestLine, int maxHeaderBytes, out HttpRequestHead head)
    {
        head = default;
        int lineEnd = buffer.IndexOf((byte)'\n');
        if (lineEnd < 0)
        {
            return buffer.Length > maxRequestLine ? HttpParseStatus.UriTooLong : HttpParseStatus.Incomplete;
        }

        if (lineEnd > maxRequestLine)
        {
            return HttpParseStatus.UriTooLong;
        }

        HttpParseStatus status = ParseRequestLine(buffer[..TrimCr(buffer, lineEnd)], ref head);
        if (status != HttpParseStatus.Complete)
        {
            return status;
        }

        head.KeepAlive = head.MinorVersion == 1;
        int position = lineEnd + 1;
        int headerStart = position;
        bool sawContentLength = false;
        while (true)
        {
            ReadOnlySpan<byte> rest = buffer[position..];
            int end = rest.IndexOf((byte)'\n');
            if (end < 0)
            {
                return position - headerStart + rest.Length > maxHeaderBytes ? HttpParseStatus.HeadersTooLarge : HttpParseStatus.Incomplete;
            }

            if (position - headerStart + end + 1 > maxHeaderBytes)
            {
                return HttpParseStatus.HeadersTooLarge;
            }

            ReadOnlySpan<byte> line = rest[..TrimCr(rest, end)];
            position += end + 1;
            if (line.IsEmpty)
            {
                head.HeadLength = position;
                return head.MinorVersion == 1 && !head.HasHost ? HttpParseStatus.BadRequest : HttpParseStatus.Complete;
            }

            if (line.Contains((byte)'\r') || line[0] is (byte)' ' or (byte)'\t')
            {
                return HttpParseStatus.BadRequest;
            }

            int colon = line.IndexOf((byte)':');
            if (colon <= 0 || !IsToken(line[..colon]))
            {
                return HttpParseStatus.BadRequest;
            }

            ReadOnlySpan<byte> name = line[..colon];
            ReadOnlySpan<byte> value = line[(colon + 1)..].Trim(" \t"u8);
            if (Ascii.EqualsIgnoreCase(name, "Host"u8))
            {
                if (head.HasHost)
                {
                    return HttpParseStatus.BadRequest;
                }

                head.HasHost = true;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                if (!Utf8Parser.TryParse(value, out long length, out int used) || used != value.Length || length < 0 || value[0] is (byte)'+' or (byte)'-'
                    || (sawContentLength && length != head.ContentLength))
                {
                    return HttpParseStatus.BadRequest;
                }

                sawContentLength = true;
                head.ContentLength = length;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
            {
                head.HasTransferEncoding = true;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
            {
                // A comma-separated token list (RFC 9110 §7.6.1).
                foreach (Range part in value.Split((byte)','))
                {
                    ReadOnlySpan<byte> token = value[part].Trim(" \t"u8);
                    if (Ascii.EqualsIgnoreCase(token, "close"u8))
                    {
                        head.KeepAlive = false;
                    }
                    else if (Ascii.EqualsIgnoreCase(token, "keep-alive"u8) && head.MinorVersion == 0)
                    {
                        head.KeepAlive = true;
                    }
                }
            }
        }
    }

    private static int TrimCr(ReadOnlySpan<byte> buffer, int newline) =>
        newline > 0 && buffer[newline - 1] == (byte)'\r' ? newline - 1 : newline;

    private static HttpParseStatus ParseRequestLine(ReadOnlySpan<byte> line, ref HttpRequestHead head)
    {
        // method SP request-target SP HTTP-version (RFC 9112 §3): exactly two single spaces.
        int first = line.IndexOf((byte)' ');
        int last = line.LastIndexOf((byte)' ');
        if (first <= 0 || last <= first + 1 || !IsToken(line[..first]))
        {
            return HttpParseStatus.BadRequest;
        }

        ReadOnlySpan<byte> target = line[(first + 1)..last];
        foreach (byte b in target)
        {
            if (b <= 0x20 || b >= 0x7f)
            {
                return HttpParseStatus.BadRequest;
            }
        }

        ReadOnlySpan<byte> version = line[(last + 1)..];
        if (version.Length != 8 || !version.StartsWith("HTTP/"u8) || !char.IsAsciiDigit((char)version[5]) || version[6] != (byte)'.' || !char.IsAsciiDigit((char)version[7]))
        {
            return HttpParseStatus.BadRequest;
        }

        if (version[5] != (byte)'1' || version[7] is not ((byte)'0' or (byte)'1'))
        {
            return HttpParseStatus.VersionNotSupported;
        }

        head.Method = new Range(0, first);
        head.Target = new Range(first + 1, last);
        head.MinorVersion = version[7] - '0';
        return HttpParseStatus.Complete;
    }

    /// <summary>RFC 9110 §5.6.2 token characters.</summary>
    private static bool IsToken(ReadOnlySpan<byte> text)
    {
        foreach (byte b in text)
        {
            bool ok = char.IsAsciiLetterOrDigit((char)b) || b is (byte)'!' or (byte)'#' or (byte)'$' or (byte)'%' or (byte)'&' or (byte)'\''
                or (byte)'*' or (byte)'+' or (byte)'-' or (byte)'.' or (byte)'^' or (byte)'_' or (byte)'`' or (byte)'|' or (byte)'~';
            if (!ok)
            {
                return false;
            }
        }

        return !text.IsEmpty;
    }
}
