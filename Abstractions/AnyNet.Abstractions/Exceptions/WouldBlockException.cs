namespace AnyNet;

/// <summary>A non-blocking operation could not proceed at once.</summary>
public class WouldBlockException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public WouldBlockException() : base("The operation would block.") { }

    /// <summary>Creates the exception with a message.</summary>
    public WouldBlockException(string? message) : base(message) { }

    /// <summary>Creates the exception with a message and the cause.</summary>
    public WouldBlockException(string? message, Exception? innerException) : base(message, innerException) { }
}
