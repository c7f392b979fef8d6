namespace AnyNet.Samples.HttpHello;

/// <summary>The parts of a parsed request the server acts on. Ranges index the buffer that was parsed.</summary>
internal struct HttpRequestHead
{
    public Range Method;
    public Range Target;

    /// <summary>1 for HTTP/1.1, 0 for HTTP/1.0.</summary>
    public int MinorVersion;

    /// <summary>Whether the connection stays open after the response (RFC 9112 §9.3).</summary>
    public bool KeepAlive;

    public bool HasHost;
    public long ContentLength;
    public bool HasTransferEncoding;

    /// <summary>The bytes of the request line and header section, including the empty line.</summary>
    public int HeadLength;
}
