namespace AnyNet;

/// <summary>The line end a <see cref="LineFrameStream"/> sends (it accepts both when receiving).</summary>
public enum LineTerminator
{
    /// <summary><c>\n</c> (Unix, most line protocols).</summary>
    LineFeed,

    /// <summary><c>\r\n</c> (HTTP/1.1, SMTP, RESP, IRC: RFC 5234's CRLF).</summary>
    CarriageReturnLineFeed,
}
