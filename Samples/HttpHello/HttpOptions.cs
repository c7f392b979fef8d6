namespace AnyNet.Samples.HttpHello;

/// <summary>Server limits and timeouts (Kestrel's defaults where it has one).</summary>
internal sealed record HttpOptions
{
    /// <summary>The longest request line (Kestrel: 8 KiB); longer is 414.</summary>
    public int MaxRequestLineBytes { get; init; } = 8 * 1024;

    /// <summary>The largest header section (Kestrel: 32 KiB); larger is 431.</summary>
    public int MaxHeaderBytes { get; init; } = 32 * 1024;

    /// <summary>The largest request body this server reads and discards; larger is 413.</summary>
    public int MaxBodyBytes { get; init; } = 1024 * 1024;

    /// <summary>A request begun but not finished within this is answered 408 and closed (Kestrel: RequestHeadersTimeout, 30 s).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>An idle keep-alive connection is closed after this (Kestrel: KeepAliveTimeout, 130 s).</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(130);
}
