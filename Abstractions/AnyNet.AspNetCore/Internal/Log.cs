using Microsoft.Extensions.Logging;

namespace AnyNet.AspNetCore.Internal;

/// <summary>The transport's log messages (category <c>AnyNet.AspNetCore</c>). Peer behaviour is Debug: it costs nothing else.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Kestrel listening on {EndPoint} through the AnyNet '{Backend}' backend ({Loops} loop(s))")]
    public static partial void Listening(ILogger logger, string endPoint, string backend, int loops);

    [LoggerMessage(2, LogLevel.Debug, "Connection {ConnectionId} from {RemoteEndPoint} accepted")]
    public static partial void ConnectionAccepted(ILogger logger, string connectionId, string? remoteEndPoint);

    [LoggerMessage(3, LogLevel.Debug, "Connection {ConnectionId} received FIN")]
    public static partial void ReadFin(ILogger logger, string connectionId);

    [LoggerMessage(4, LogLevel.Debug, "Connection {ConnectionId} sent FIN: the application completed its output")]
    public static partial void WriteFin(ILogger logger, string connectionId);

    [LoggerMessage(5, LogLevel.Debug, "Connection {ConnectionId} reset by the peer: {Reason}")]
    public static partial void ConnectionReset(ILogger logger, string connectionId, string reason);

    [LoggerMessage(6, LogLevel.Debug, "Connection {ConnectionId} aborted: {Reason}")]
    public static partial void ConnectionAborted(ILogger logger, string connectionId, string reason);

    [LoggerMessage(7, LogLevel.Error, "Unexpected error in the AnyNet transport on connection {ConnectionId}")]
    public static partial void UnexpectedError(ILogger logger, Exception error, string connectionId);

    [LoggerMessage(8, LogLevel.Warning, "Accepting a connection on {EndPoint} failed; the listener goes on accepting")]
    public static partial void AcceptFailed(ILogger logger, Exception error, string endPoint);

    [LoggerMessage(9, LogLevel.Debug, "Stopped accepting on {EndPoint}")]
    public static partial void Unbound(ILogger logger, string endPoint);
}
