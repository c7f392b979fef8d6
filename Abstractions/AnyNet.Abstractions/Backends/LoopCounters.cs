using System.Diagnostics;

namespace AnyNet.Backends;

/// <summary>
/// What one loop of a loop backend reports to the <see cref="BackendEventSource"/> counters
/// (<c>&lt;backend&gt;-loop-iterations</c> and <c>&lt;backend&gt;-loop-busy-time</c>, summed over the backend's loops),
/// for authors of a loop backend. Create one per loop with <see cref="Register"/> and dispose it when the loop ends.
/// </summary>
/// <remarks>
/// Counting an iteration is one increment. Timing the busy part of an iteration costs two clock reads, so a loop does it
/// only while <see cref="IsTimingEnabled"/> is true: while a <c>dotnet-counters</c> session (or an
/// <see cref="System.Diagnostics.Tracing.EventListener"/> asking for counters) listens.
/// </remarks>
public sealed class LoopCounters : IDisposable
{
    private static readonly Lock s_gate = new();
    private static readonly List<LoopCounters> s_live = [];
    private static readonly Dictionary<string, (long Iterations, long BusyTicks)> s_retired = new(StringComparer.Ordinal);
    private static volatile bool s_timing;

    private long _iterations;
    private long _busyTicks;
    private int _disposed;

    private LoopCounters(string backend) => Backend = backend;

    /// <summary>True while something listens to the loop counters: only then should a loop time its iterations.</summary>
    public static bool IsTimingEnabled => s_timing;

    /// <summary>The backend's name the counters are reported under.</summary>
    public string Backend { get; }

    /// <summary>Starts reporting one loop of <paramref name="backend"/>.</summary>
    /// <param name="backend">The backend's name (<see cref="IAsyncBackend.Name"/>): the counters are named after it.</param>
    /// <returns>The loop's counters; dispose them when the loop ends (their totals stay in the backend's sums).</returns>
    public static LoopCounters Register(string backend)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(backend);
        var counters = new LoopCounters(backend);
        lock (s_gate)
        {
            s_live.Add(counters);
        }

        BackendEventSource.Log.OnLoopRegistered(backend);
        return counters;
    }

    /// <summary>Counts one loop iteration (one wait for I/O and what it ran). Call it on the loop thread.</summary>
    public void AddIteration() => Volatile.Write(ref _iterations, _iterations + 1);

    /// <summary>Adds time the loop spent running callbacks rather than waiting, in <see cref="Stopwatch"/> ticks. Call it on the loop thread.</summary>
    /// <param name="stopwatchTicks">Elapsed <see cref="Stopwatch.GetTimestamp"/> ticks.</param>
    public void AddBusyTime(long stopwatchTicks)
    {
        if (stopwatchTicks > 0)
        {
            Volatile.Write(ref _busyTicks, _busyTicks + stopwatchTicks);
        }
    }

    /// <summary>Stops reporting this loop; what it counted stays in the backend's totals.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        lock (s_gate)
        {
            s_live.Remove(this);
            (long iterations, long busy) = s_retired.GetValueOrDefault(Backend);
            s_retired[Backend] = (iterations + Volatile.Read(ref _iterations), busy + Volatile.Read(ref _busyTicks));
        }
    }

    internal static void SetTiming(bool enabled) => s_timing = enabled;

    /// <summary>The names of every backend that has registered a loop.</summary>
    internal static string[] BackendNames()
    {
        lock (s_gate)
        {
            return [.. s_live.Select(c => c.Backend).Concat(s_retired.Keys).Distinct(StringComparer.Ordinal)];
        }
    }

    /// <summary>The iterations and busy time of every loop of <paramref name="backend"/>, past and present.</summary>
    internal static (long Iterations, TimeSpan Busy) Totals(string backend)
    {
        lock (s_gate)
        {
            (long iterations, long busy) = s_retired.GetValueOrDefault(backend);
            foreach (LoopCounters counters in s_live)
            {
                if (counters.Backend == backend)
                {
                    iterations += Volatile.Read(ref counters._iterations);
                    busy += Volatile.Read(ref counters._busyTicks);
                }
            }

            return (iterations, Stopwatch.GetElapsedTime(0, busy));
        }
    }
}
