using System.Diagnostics.Tracing;

namespace AnyNet.Backends;

/// <summary>
/// The backends' own log: events a backend handles by itself but an operator should see, such as an accept loop
/// backing off because the process ran out of descriptors. Read it with <c>dotnet-trace</c>/<c>dotnet-counters</c>
/// (provider <c>AnyNet-Backends</c>) or an in-process <see cref="EventListener"/>. Backends stay free of
/// Microsoft.Extensions.Logging; hosting logs its own events through ILogger.
/// </summary>
/// <remarks>
/// Counters (<c>dotnet-counters monitor --counters AnyNet-Backends</c>), per loop backend that has run a loop in the
/// process: <c>&lt;backend&gt;-loop-iterations</c> (loop iterations: waits for I/O and the callbacks each one ran; a rate)
/// and <c>&lt;backend&gt;-loop-busy-time</c> (milliseconds the loops spent running callbacks rather than waiting; a rate:
/// 1000 ms per second means a loop thread that never waits). The loops time themselves only while counters are listened to.
/// </remarks>
[EventSource(Name = "AnyNet-Backends")]
public sealed class BackendEventSource : EventSource
{
    /// <summary>The one instance.</summary>
    public static readonly BackendEventSource Log = new();

    private readonly Dictionary<string, DiagnosticCounter[]> _counters = new(StringComparer.Ordinal);
    private bool _countersRequested;

    private BackendEventSource()
    {
    }

    /// <summary>Creates the counters of a backend whose first loop started while counters are listened to.</summary>
    [NonEvent]
    internal void OnLoopRegistered(string backend)
    {
        lock (_counters)
        {
            if (_countersRequested)
            {
                CreateCounters(backend);
            }
        }
    }

    /// <inheritdoc />
    protected override void OnEventCommand(EventCommandEventArgs command)
    {
        ArgumentNullException.ThrowIfNull(command);
        lock (_counters)
        {
            if (command.Command == EventCommand.Enable && command.Arguments is { } arguments && arguments.ContainsKey("EventCounterIntervalSec"))
            {
                // Counters are asked for (dotnet-counters, or a listener passing an interval): only then do loops time themselves.
                _countersRequested = true;
                LoopCounters.SetTiming(true);
                foreach (string backend in LoopCounters.BackendNames())
                {
                    CreateCounters(backend);
                }
            }
            else if (command.Command == EventCommand.Disable && !IsEnabled())
            {
                _countersRequested = false;
                LoopCounters.SetTiming(false);
            }
        }
    }

    [NonEvent]
    private void CreateCounters(string backend)
    {
        if (_counters.ContainsKey(backend))
        {
            return;
        }

        _counters[backend] =
        [
            new IncrementingPollingCounter($"{backend}-loop-iterations", this, () => LoopCounters.Totals(backend).Iterations)
            {
                DisplayName = $"{backend} loop iterations",
                DisplayRateTimeScale = TimeSpan.FromSeconds(1),
            },
            new IncrementingPollingCounter($"{backend}-loop-busy-time", this, () => LoopCounters.Totals(backend).Busy.TotalMilliseconds)
            {
                DisplayName = $"{backend} loop time in callbacks",
                DisplayUnits = "ms",
                DisplayRateTimeScale = TimeSpan.FromSeconds(1),
            },
        ];
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
