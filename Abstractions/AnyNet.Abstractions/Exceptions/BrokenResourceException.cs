namespace AnyNet;

/// <summary>The peer or the transport failed (connection reset, broken pipe...). The OS error is the <see cref="Exception.InnerException"/>.</summary>
public class BrokenResourceException : IOException
{
    /// <summary>Creates the exception.</summary>
    public BrokenResourceException() : base("The resource is broken.") { }

    /// <summary>Creates the exception with a message.</summary>
    public BrokenResourceException(string? message) : base(message) { }

    /// <summary>Creates the exception with a message and the OS error.</summary>
    public BrokenResourceException(string? message, Exception? innerException) : base(message, innerException) { }
}
