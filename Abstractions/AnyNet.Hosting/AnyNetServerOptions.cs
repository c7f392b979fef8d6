namespace AnyNet.Hosting;

/// <summary>The settings of one hosted server, given when it is registered and checked at once.</summary>
public sealed class AnyNetServerOptions
{
    /// <summary>Where the server listens, as an endpoint string (see <see cref="AnyNetEndPoint"/>): <c>tcp:7000</c>, <c>unix:/run/app.sock</c>...</summary>
    public string Endpoint { get; set; } = string.Empty;

    /// <summary>This server's drain timeout; null uses <see cref="AnyNetOptions.DrainTimeout"/>.</summary>
    public TimeSpan? DrainTimeout { get; set; }

    /// <summary>The accept backlog. Default 512.</summary>
    public int Backlog { get; set; } = 512;

    /// <summary>Sets SO_REUSEPORT on the listener (needs <see cref="BackendCapabilities.ReusePort"/>).</summary>
    public bool ReusePort { get; set; }

    /// <summary>
    /// The most connections served at once; a connection accepted beyond it is closed at once and counted as rejected.
    /// Null (the default): no limit.
    /// </summary>
    public int? MaxConnections { get; set; }

    /// <summary>
    /// Closes a connection that received and sent nothing for this long (its handler then ends, logged at Debug).
    /// Null (the default): never. A pending receive is not traffic: this is what ends connections whose peer vanished
    /// without a FIN or RST.
    /// </summary>
    public TimeSpan? IdleTimeout { get; set; }

    /// <summary>
    /// For a <c>unix:</c> endpoint: before binding, removes a socket file left behind by a process that crashed, but only
    /// if nothing listens on it (a connect to it is refused). A socket that a live server listens on is left alone, and
    /// the bind then fails naming the path. A file that is not a socket is never removed. Default false: a leftover file
    /// makes the bind fail.
    /// </summary>
    public bool RemoveStaleUnixSocket { get; set; }

    /// <summary>TCP keepalive for every accepted connection (see <see cref="ListenOptions.KeepAlive"/>); null (the default): off.</summary>
    public TcpKeepAlive? KeepAlive { get; set; }

    /// <summary>
    /// The configuration key <see cref="Endpoint"/> was read from (for example <c>HostedEcho:Endpoints:0</c>), or null.
    /// Start-up errors about the endpoint (malformed, or it cannot be bound) name it, so an operator knows what to fix.
    /// </summary>
    public string? ConfigurationKey { get; set; }

    /// <summary>Checks every value; throws naming the first bad one.</summary>
    /// <exception cref="FormatException"><see cref="Endpoint"/> is malformed; the message lists the accepted forms.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A timeout, the backlog or the connection limit is out of range.</exception>
    public void Validate() => _ = ValidateAndParse();

    internal AnyNetEndPoint ValidateAndParse()
    {
        AnyNetEndPoint endPoint;
        try
        {
            endPoint = AnyNetEndPoint.Parse(Endpoint ?? throw new FormatException($"The server endpoint is not set. Accepted forms: {AnyNetEndPoint.AcceptedForms}."));
        }
        catch (FormatException error) when (ConfigurationKey is not null)
        {
            throw new FormatException($"{ConfigurationKey}: {error.Message}", error);
        }

        if (DrainTimeout is TimeSpan drain && drain < TimeSpan.Zero && drain != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(DrainTimeout), drain, $"The drain timeout of the server on {Endpoint} must not be negative.");
        }

        if (IdleTimeout is TimeSpan idle && idle <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(IdleTimeout), idle, $"The idle timeout of the server on {Endpoint} must be positive (or null for none).");
        }

        KeepAlive?.Validate();

        if (Backlog <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Backlog), Backlog, $"The backlog of the server on {Endpoint} must be positive.");
        }

        if (MaxConnections is int max && max <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConnections), max, $"The connection limit of the server on {Endpoint} must be positive (or null for no limit).");
        }

        return endPoint;
    }

    internal AnyNetServerOptions Clone() => (AnyNetServerOptions)MemberwiseClone();
}
