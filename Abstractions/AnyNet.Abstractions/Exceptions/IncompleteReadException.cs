namespace AnyNet;

/// <summary>
/// The stream ended before a fixed amount of data (or a delimiter) arrived (AnyIO <c>IncompleteRead</c>). It derives
/// from <see cref="EndOfStreamException"/>, so code that handles the end of a stream catches it too; the bytes that
/// did arrive are still buffered (see <see cref="BufferedByteReceiveStream.Buffered"/>).
/// </summary>
public class IncompleteReadException : EndOfStreamException
{
    /// <summary>Creates the exception.</summary>
    public IncompleteReadException() : base("The stream ended before the requested data arrived.") { }

    /// <summary>Creates the exception with a message.</summary>
    public IncompleteReadException(string? message) : base(message) { }

    /// <summary>Creates the exception with a message and the cause.</summary>
    public IncompleteReadException(string? message, Exception? innerException) : base(message, innerException) { }
}
