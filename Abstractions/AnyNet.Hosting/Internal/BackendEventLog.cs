using System.Diagnostics.Tracing;
using AnyNet.Backends;
using Microsoft.Extensions.Logging;

namespace AnyNet.Hosting.Internal;

/// <summary>
/// Brings the events a backend handles by itself for one server's listener (out of descriptors, accepting again) from
/// the <see cref="BackendEventSource"/> into the server's <see cref="ILogger"/>: backends stay free of
/// Microsoft.Extensions.Logging, but an operator of a hosted server reads its log, not an EventPipe session. The
/// backends write these once per episode, so the log gets one warning per episode, not one per attempt.
/// </summary>
internal sealed class BackendEventLog : EventListener
{
    private volatile ILogger? _logger;
    private volatile string? _endPoint;
    private volatile string? _serverEndPoint;
    private volatile bool _backingOff;

    /// <summary>True between the backend's AcceptBackoff and AcceptRecovered events for this listener.</summary>
    public bool IsBackingOff => _backingOff;

    public void Attach(ILogger logger, string listenerEndPoint, string serverEndPoint)
    {
        _serverEndPoint = serverEndPoint;
        _endPoint = listenerEndPoint;
        _logger = logger;
    }

    // Called from the base constructor, before this class's fields exist: it must touch none of them.
    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "AnyNet-Backends")
        {
            EnableEvents(eventSource, EventLevel.Informational);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        ILogger? logger = _logger;
        if (logger is null || eventData.Payload is not { Count: >= 3 } payload || (payload[1] as string) != _endPoint)
        {
            return;
        }

        string backend = payload[0] as string ?? "?";
        if (eventData.EventName == nameof(BackendEventSource.AcceptBackoff))
        {
            _backingOff = true;
            Log.DescriptorsExhausted(logger, _serverEndPoint!, backend, payload[2] is int errno ? errno : 0);
        }
        else if (eventData.EventName == nameof(BackendEventSource.AcceptRecovered))
        {
            _backingOff = false;
            Log.DescriptorsRecovered(logger, _serverEndPoint!, payload[2] is int count ? count : 0);
        }
    }
}
