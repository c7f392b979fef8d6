using System.Net;
using Microsoft.Extensions.Logging;

namespace AnyNet.Hosting.Internal;

internal static partial class Log
{
    [LoggerMessage(AnyNetLogEvents.ServerStarted, LogLevel.Information, "AnyNet server listening on {EndPoint} with the {Backend} backend")]
    public static partial void ServerStarted(ILogger logger, string endPoint, string backend);

    [LoggerMessage(AnyNetLogEvents.ConnectionAccepted, LogLevel.Debug, "Connection {ConnectionId} from {RemoteEndPoint} accepted on {EndPoint}")]
    public static partial void ConnectionAccepted(ILogger logger, long connectionId, EndPoint? remoteEndPoint, string endPoint);

    [LoggerMessage(AnyNetLogEvents.ConnectionClosed, LogLevel.Debug, "Connection {ConnectionId} from {RemoteEndPoint} closed after {DurationMs:0.###} ms: {BytesReceived} bytes received, {BytesSent} bytes sent")]
    public static partial void ConnectionClosed(ILogger logger, long connectionId, EndPoint? remoteEndPoint, double durationMs, long bytesReceived, long bytesSent);

    [LoggerMessage(AnyNetLogEvents.HandlerFailed, LogLevel.Error, "The handler of connection {ConnectionId} from {RemoteEndPoint} on {EndPoint} failed")]
    public static partial void HandlerFailed(ILogger logger, Exception error, long connectionId, EndPoint? remoteEndPoint, string endPoint);

    [LoggerMessage(AnyNetLogEvents.AcceptFailed, LogLevel.Warning, "Accepting a connection on {EndPoint} failed; the server goes on accepting")]
    public static partial void AcceptFailed(ILogger logger, Exception error, string endPoint);

    [LoggerMessage(AnyNetLogEvents.ConnectionRejected, LogLevel.Warning, "Connection from {RemoteEndPoint} on {EndPoint} rejected: the limit of {MaxConnections} connections is reached")]
    public static partial void ConnectionRejected(ILogger logger, EndPoint? remoteEndPoint, string endPoint, int maxConnections);

    [LoggerMessage(AnyNetLogEvents.ServerStopping, LogLevel.Information, "AnyNet server on {EndPoint} stopped accepting; draining {ActiveConnections} open connections for up to {DrainTimeout}")]
    public static partial void ServerStopping(ILogger logger, string endPoint, long activeConnections, TimeSpan drainTimeout);

    [LoggerMessage(AnyNetLogEvents.DrainTimeoutExpired, LogLevel.Warning, "AnyNet server on {EndPoint}: {ActiveConnections} connections still open after the drain timeout of {DrainTimeout}; cancelling and closing them")]
    public static partial void DrainTimeoutExpired(ILogger logger, string endPoint, long activeConnections, TimeSpan drainTimeout);

    [LoggerMessage(AnyNetLogEvents.ServerStopped, LogLevel.Information, "AnyNet server on {EndPoint} stopped after {ElapsedMs:0.###} ms of shutdown: {Served} connections served, {Failed} handlers failed, {ForceClosed} connections force-closed, {Rejected} rejected, {AcceptErrors} accept errors")]
    public static partial void ServerStopped(ILogger logger, string endPoint, double elapsedMs, long served, long failed, long forceClosed, long rejected, long acceptErrors);

    [LoggerMessage(AnyNetLogEvents.ServerFaulted, LogLevel.Error, "AnyNet server on {EndPoint} stopped serving unexpectedly; stopping the application")]
    public static partial void ServerFaulted(ILogger logger, Exception? error, string endPoint);

    [LoggerMessage(AnyNetLogEvents.ShutdownAbandoned, LogLevel.Error, "AnyNet server on {EndPoint}: {ActiveConnections} handlers had not ended when the host's shutdown timeout expired")]
    public static partial void ShutdownAbandoned(ILogger logger, string endPoint, long activeConnections);

    [LoggerMessage(AnyNetLogEvents.BackendCreated, LogLevel.Information, "Using the AnyNet backend {Backend} (registered as {RegisteredName})")]
    public static partial void BackendCreated(ILogger logger, string backend, string registeredName);

    [LoggerMessage(AnyNetLogEvents.HandlerEndedAfterClose, LogLevel.Debug, "The handler of connection {ConnectionId} from {RemoteEndPoint} ended with {ErrorType} after the server closed the connection")]
    public static partial void HandlerEndedAfterClose(ILogger logger, long connectionId, EndPoint? remoteEndPoint, string? errorType);

    [LoggerMessage(AnyNetLogEvents.ConnectionLost, LogLevel.Debug, "Connection {ConnectionId} from {RemoteEndPoint} on {EndPoint} was lost: {Reason}")]
    public static partial void ConnectionLost(ILogger logger, long connectionId, EndPoint? remoteEndPoint, string endPoint, string reason);

    [LoggerMessage(AnyNetLogEvents.DescriptorsExhausted, LogLevel.Warning, "AnyNet server on {EndPoint}: the process is out of file descriptors (errno {Errno}, {Backend} backend); shedding the waiting connection and backing off until descriptors are free")]
    public static partial void DescriptorsExhausted(ILogger logger, string endPoint, string backend, int errno);

    [LoggerMessage(AnyNetLogEvents.DescriptorsRecovered, LogLevel.Information, "AnyNet server on {EndPoint} accepts again after {Backoffs} back-offs for lack of file descriptors")]
    public static partial void DescriptorsRecovered(ILogger logger, string endPoint, int backoffs);

    [LoggerMessage(AnyNetLogEvents.IdleTimeout, LogLevel.Debug, "Connection {ConnectionId} from {RemoteEndPoint} on {EndPoint} closed: no traffic for {IdleTimeout}")]
    public static partial void IdleTimeout(ILogger logger, long connectionId, EndPoint? remoteEndPoint, string endPoint, TimeSpan idleTimeout);

    [LoggerMessage(AnyNetLogEvents.StaleUnixSocketRemoved, LogLevel.Information, "Removed the stale Unix socket file {Path}: nothing listened on it (a crashed process left it)")]
    public static partial void StaleUnixSocketRemoved(ILogger logger, string path);
}
