namespace AnyNet;

/// <summary>This end of the resource was closed by its own side (dispose, or send after <c>SendEofAsync</c>).</summary>
public class ClosedResourceException : ObjectDisposedException
{
    /// <summary>Creates the exception.</summary>
    public ClosedResourceException() : base(null, "The resource was closed.") { }

    /// <summary>Creates the exception with a message.</summary>
    public ClosedResourceException(string? message) : base(null, message) { }

    /// <summary>Creates the exception with a message and the cause.</summary>
    public ClosedResourceException(string? message, Exception? innerException) : base(message, innerException) { }
}
