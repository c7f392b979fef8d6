namespace AnyNet;

/// <summary>A host name could not be resolved. <see cref="Exception.InnerException"/> holds the resolver's own error.</summary>
public sealed class NameResolutionException : IOException
{
    /// <summary>Creates the exception for <paramref name="host"/>.</summary>
    public NameResolutionException(string host, string reason, Exception? innerException = null)
        : base($"Could not resolve host '{host}': {reason}", innerException)
    {
        Host = host;
    }

    /// <summary>Creates the exception with a message.</summary>
    public NameResolutionException() : this("(unknown)", "unknown error") { }

    /// <summary>Creates the exception with a message.</summary>
    public NameResolutionException(string message) : base(message) { Host = string.Empty; }

    /// <summary>Creates the exception with a message and inner exception.</summary>
    public NameResolutionException(string message, Exception innerException) : base(message, innerException) { Host = string.Empty; }

    /// <summary>The host name that did not resolve.</summary>
    public string Host { get; }
}
