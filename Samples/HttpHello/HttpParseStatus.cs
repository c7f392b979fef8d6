namespace AnyNet.Samples.HttpHello;

/// <summary>The outcome of parsing one request head.</summary>
internal enum HttpParseStatus
{
    /// <summary>A whole head was parsed.</summary>
    Complete,

    /// <summary>The head is not complete yet.</summary>
    Incomplete,

    /// <summary>400: the request line or a header line is malformed.</summary>
    BadRequest,

    /// <summary>414: the request line is longer than the limit.</summary>
    UriTooLong,

    /// <summary>431: the header section is longer than the limit.</summary>
    HeadersTooLarge,

    /// <summary>505: a version other than HTTP/1.0 and HTTP/1.1.</summary>
    VersionNotSupported,
}
