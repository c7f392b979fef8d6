namespace AnyNet;

/// <summary>
/// <see cref="BufferedByteReceiveStream.ReceiveUntilAsync"/> read its maximum number of bytes without finding the
/// delimiter (AnyIO <c>DelimiterNotFound</c>). Nothing was consumed: the bytes stay buffered.
/// </summary>
public class DelimiterNotFoundException : IOException
{
    /// <summary>Creates the exception.</summary>
    public DelimiterNotFoundException() : base("The delimiter was not found within the maximum number of bytes.") { }

    /// <summary>Creates the exception with a message.</summary>
    public DelimiterNotFoundException(string? message) : base(message) { }

    /// <summary>Creates the exception with a message and the cause.</summary>
    public DelimiterNotFoundException(string? message, Exception? innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for a search limited to <paramref name="maxBytes"/> bytes.</summary>
    public DelimiterNotFoundException(int maxBytes)
        : base($"The delimiter was not found within the first {maxBytes} bytes.") => MaxBytes = maxBytes;

    /// <summary>The limit the search had (the most bytes allowed before the delimiter); 0 when not known.</summary>
    public int MaxBytes { get; }
}
