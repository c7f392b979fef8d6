namespace AnyNet.Hosting;

/// <summary>
/// The stable event ids of AnyNet's hosting log messages (category <c>AnyNet.Hosting.AnyNetServer</c>, and
/// <c>AnyNet.Hosting.AnyNetBuilder</c> for the backend choice). They do not change between versions.
/// </summary>
public static class AnyNetLogEvents
{
    /// <summary>Information: a server is listening (endpoint, backend).</summary>
    public const int ServerStarted = 1;

    /// <summary>Debug: a connection was accepted.</summary>
    public const int ConnectionAccepted = 2;

    /// <summary>Debug: a connection was closed (duration and byte counts).</summary>
    public const int ConnectionClosed = 3;

    /// <summary>Error: a connection handler threw; carries the remote endpoint and the exception. The server goes on.</summary>
    public const int HandlerFailed = 4;

    /// <summary>Warning: accepting a connection failed; the server goes on accepting.</summary>
    public const int AcceptFailed = 5;

    /// <summary>Warning: a connection was closed unserved because the server's connection limit was reached.</summary>
    public const int ConnectionRejected = 6;

    /// <summary>Information: a server stopped accepting and is draining its open connections.</summary>
    public const int ServerStopping = 7;

    /// <summary>Warning: the drain timeout expired; the remaining connections are being cancelled and closed.</summary>
    public const int DrainTimeoutExpired = 8;

    /// <summary>Information: the shutdown summary of a server (connections served, failed, force-closed, rejected).</summary>
    public const int ServerStopped = 9;

    /// <summary>Error: a server stopped serving without being asked to; the application is stopped.</summary>
    public const int ServerFaulted = 10;

    /// <summary>Error: handlers still ran after their connections were force-closed when the host's shutdown timeout expired.</summary>
    public const int ShutdownAbandoned = 11;

    /// <summary>Information: which backend the container created.</summary>
    public const int BackendCreated = 12;

    /// <summary>Debug: a handler ended with an exception after the server cancelled it and closed its connection.</summary>
    public const int HandlerEndedAfterClose = 13;

    /// <summary>Debug: the peer reset or vanished while its handler ran (a normal network event, logged without a stack trace).</summary>
    public const int ConnectionLost = 14;

    /// <summary>Warning: the server ran out of file descriptors and is backing off; logged once per episode, not per attempt.</summary>
    public const int DescriptorsExhausted = 15;

    /// <summary>Information: the server can accept again after running out of file descriptors.</summary>
    public const int DescriptorsRecovered = 16;

    /// <summary>Debug: a connection was closed because it had no traffic for the server's idle timeout.</summary>
    public const int IdleTimeout = 17;

    /// <summary>Information: a stale Unix socket file (nothing listened on it) was removed before binding (<see cref="AnyNetServerOptions.RemoveStaleUnixSocket"/>).</summary>
    public const int StaleUnixSocketRemoved = 18;
}
