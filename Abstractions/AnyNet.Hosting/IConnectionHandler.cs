namespace AnyNet.Hosting;

/// <summary>
/// Serves one connection of a hosted server. Resolved from a dependency-injection scope created for each connection,
/// so a handler may take scoped services; the scope is disposed when the connection ends.
/// </summary>
public interface IConnectionHandler
{
    /// <summary>
    /// Serves <paramref name="connection"/> until it is done. The server closes the connection when this returns.
    /// </summary>
    /// <param name="connection">The accepted connection. On loop backends its continuations run on the loop.</param>
    /// <param name="cancellationToken">
    /// Cancelled when the server's drain timeout expires during shutdown; the connection is closed at the same moment,
    /// so a handler that ignores the token still sees its pending receive or send fail.
    /// </param>
    Task HandleAsync(ISocketStream connection, CancellationToken cancellationToken);
}
