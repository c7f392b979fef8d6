using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using AnyNet.Backends;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// The <c>AnyNet-Backends</c> EventSource counters that <c>dotnet-counters</c> shows for a loop backend: loop
/// iterations and the time the loop spent running callbacks, named after the backend.
/// </summary>
public abstract class LoopCountersConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    [SkippableFact]
    public virtual Task The_loop_reports_its_iterations_and_busy_time_as_counters() => RunAsync(async (backend, token) =>
    {
        RequireCapability(BackendCapabilities.SingleThreadedLoop, "only a loop backend has a loop whose iterations and callback time to count; the thread pool has its own counters (System.Runtime)");
        using var counters = new CounterListener($"{backend.Name}-loop-iterations", $"{backend.Name}-loop-busy-time");

        // Keep the loop turning (yields and timers) until both counters have reported a rise; the hard timeout bounds it.
        // The flag is polled rather than awaited: the counters report from a thread of their own, and a continuation
        // posted from there would be work entering a simulated network from outside.
        while (!counters.AllRose.IsCompleted)
        {
            for (int i = 0; i < 50; i++)
            {
                await Task.Yield();
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), backend.TimeProvider, token);
        }
    }, TimeSpan.FromSeconds(30));

    private sealed class CounterListener : EventListener
    {
        private readonly ConcurrentDictionary<string, bool> _rose = new(StringComparer.Ordinal);
        private readonly TaskCompletionSource _allRose = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly string[] _names;

        public CounterListener(params string[] names)
        {
            _names = names;

            // Enabled here rather than in OnEventSourceCreated, which runs inside the base constructor before _names is set.
            EnableEvents(BackendEventSource.Log, EventLevel.Informational, EventKeywords.All, new Dictionary<string, string?> { ["EventCounterIntervalSec"] = "0.1" });
        }

        public Task AllRose => _allRose.Task;

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventName != "EventCounters" || eventData.Payload is not { Count: > 0 } payload || payload[0] is not IDictionary<string, object?> counter)
            {
                return;
            }

            if (counter.TryGetValue("Name", out object? name) && name is string counterName && _names.Contains(counterName)
                && counter.TryGetValue("Increment", out object? increment) && Convert.ToDouble(increment, System.Globalization.CultureInfo.InvariantCulture) > 0)
            {
                _rose[counterName] = true;
                if (_names.All(_rose.ContainsKey))
                {
                    _allRose.TrySetResult();
                }
            }
        }
    }
}
