namespace AnyNet;

/// <summary>
/// A framed stream received a frame larger than its configured maximum: a length prefix announcing more, or a line
/// longer than the maximum line length. The frame was not read (and its announced size never allocated); the framed
/// stream is broken afterwards, because its position inside the byte stream is lost.
/// </summary>
public class FrameTooLargeException : IOException
{
    /// <summary>Creates the exception.</summary>
    public FrameTooLargeException() : base("A frame larger than the maximum frame size arrived.") { }

    /// <summary>Creates the exception with a message.</summary>
    public FrameTooLargeException(string? message) : base(message) { }

    /// <summary>Creates the exception with a message and the cause.</summary>
    public FrameTooLargeException(string? message, Exception? innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for a frame of <paramref name="announcedSize"/> bytes (null when unknown, as for a line).</summary>
    public FrameTooLargeException(string? message, long? announcedSize, int maxFrameSize, Exception? innerException = null)
        : base(message, innerException)
    {
        AnnouncedSize = announcedSize;
        MaxFrameSize = maxFrameSize;
    }

    /// <summary>The size the peer announced, or null when the frame has no announced size (a line without its end).</summary>
    public long? AnnouncedSize { get; }

    /// <summary>The configured maximum frame (or line) size.</summary>
    public int MaxFrameSize { get; }
}
