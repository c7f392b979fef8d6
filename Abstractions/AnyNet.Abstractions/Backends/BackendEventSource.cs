using System.Diagnostics.Tracing;

namespace AnyNet.Backends;

/// <summary>
/// The backends' own log: events a backend handles by itself but an operator should see, such as an accept loop
/// backing off because the process ran out of descriptors. Read it with <c>dotnet-trace</c>/<c>dotnet-counters</c>
/// (provider <c>AnyNet-Backends</c>) or an in-process <see cref="EventListener"/>. Backends stay free of
/// Microsoft.Extensions.Logging; hosting logs its own events through ILogger.
/// </summary>
[EventSource(Name = "AnyNet-Backends")]
public sealed class BackendEventSource : EventSource
{
    /// <summary>The one instance.</summary>
    public static readonly BackendEventSource Log = new();

    private BackendEventSource()
    {
    }

    /// <summary>An accept failed for lack of a resource (EMFILE, ENFILE, ENOBUFS, ENOMEM); the listener retries after <paramref name="backoffMilliseconds"/>.</summary>
    [Event(1, Level = EventLevel.Warning, Message = "The {0} backend's listener on {1} is out of resources (errno {2}); accepting again in {3} ms")]
    public void AcceptBackoff(string backend, string endPoint, int errno, int backoffMilliseconds)
    {
        if (IsEnabled())
        {
            WriteEvent(1, backend, endPoint, errno, backoffMilliseconds);
        }
    }

    /// <summary>A failure inside a native loop callback was contained (logged, and the handle it belonged to closed) instead of unwinding into native code.</summary>
    [Event(2, Level = EventLevel.Error, Message = "The {0} backend contained a failure in a loop callback: {1}: {2}")]
    public void CallbackFailed(string backend, string exceptionType, string message)
    {
        if (IsEnabled())
        {
            WriteEvent(2, backend, exceptionType, message);
        }
    }

    /// <summary>A listener accepts again after running out of descriptors; <paramref name="backoffCount"/> back-offs were needed in the episode.</summary>
    [Event(3, Level = EventLevel.Informational, Message = "The {0} backend's listener on {1} accepts again after {2} back-offs for lack of descriptors")]
    public void AcceptRecovered(string backend, string endPoint, int backoffCount)
    {
        if (IsEnabled())
        {
            WriteEvent(3, backend, endPoint, backoffCount);
        }
    }
}
