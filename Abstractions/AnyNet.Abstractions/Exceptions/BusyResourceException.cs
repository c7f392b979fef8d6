namespace AnyNet;

/// <summary>A second concurrent operation of the same kind (receive, send, accept) was started on one resource.</summary>
public class BusyResourceException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public BusyResourceException() : base("Another operation of this kind is already in progress on this resource.") { }

    /// <summary>Creates the exception with a message.</summary>
    public BusyResourceException(string? message) : base(message) { }

    /// <summary>Creates the exception with a message and the cause.</summary>
    public BusyResourceException(string? message, Exception? innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for a named operation, e.g. "receiving".</summary>
    public static BusyResourceException For(string operation) =>
        new($"Another task is already {operation} on this resource; AnyNet allows one at a time.");
}
