namespace AnyNet;

/// <summary>Options for <see cref="IAsyncBackend.ListenTcp"/> and <see cref="IAsyncBackend.ListenUnix"/>.</summary>
public sealed record ListenOptions
{
    /// <summary>The accept backlog passed to listen(2). Default 512.</summary>
    public int Backlog { get; init; } = 512;

    /// <summary>Sets SO_REUSEPORT so several listeners (one per loop) can share a port. Needs <see cref="BackendCapabilities.ReusePort"/>.</summary>
    public bool ReusePort { get; init; }

    /// <summary>
    /// TCP keepalive for every connection the listener accepts (set on the listening socket, which accepted sockets
    /// inherit on Linux). Null (the default): off, as the OS does. Ignored for Unix sockets.
    /// </summary>
    public TcpKeepAlive? KeepAlive { get; init; }

    /// <summary>Validates the options and throws <see cref="ArgumentOutOfRangeException"/> naming a bad value.</summary>
    public void Validate()
    {
        if (Backlog <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Backlog), Backlog, "The listen backlog must be positive.");
        }

        KeepAlive?.Validate();
    }
}
