using System.Diagnostics;

namespace AnyNet.Backends.Reactor.Internal;

/// <summary>
/// A timer in the loop's heap. Its callback always runs on the loop thread. Changes made on the loop apply at once;
/// changes from other threads are handed to the loop, and a version number makes the newest change win.
/// </summary>
internal sealed class ReactorTimer : ITimer
{
    private static readonly long s_maxDelayTicks = long.MaxValue / 4;

    private readonly EventLoop _loop;
    private readonly TimerCallback _callback;
    private readonly object? _state;
    private readonly ExecutionContext? _executionContext;
    private long _periodTicks;
    private int _version;
    private volatile bool _disposed;

    public ReactorTimer(EventLoop loop, TimerCallback callback, object? state)
    {
        _loop = loop;
        _callback = callback;
        _state = state;
        _executionContext = ExecutionContext.Capture();
    }

    /// <summary>When the timer is due, in <see cref="Stopwatch"/> ticks (heap bookkeeping, loop thread only).</summary>
    internal long Due { get; set; }

    /// <summary>The timer's slot in the heap, -1 when disarmed (loop thread only).</summary>
    internal int HeapIndex { get; set; } = -1;

    /// <summary>Arming order, the tie-break between timers due at the same instant.</summary>
    internal long Sequence { get; set; }

    public bool Change(TimeSpan dueTime, TimeSpan period)
    {
        Validate(dueTime, nameof(dueTime));
        Validate(period, nameof(period));
        if (_disposed)
        {
            return false;
        }

        int version = Interlocked.Increment(ref _version);
        if (_loop.IsOnLoopThread)
        {
            Apply(dueTime, period);
        }
        else
        {
            _loop.PostIfRunning(_ =>
            {
                if (Volatile.Read(ref _version) == version && !_disposed)
                {
                    Apply(dueTime, period);
                }
            }, null);
        }

        return true;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Interlocked.Increment(ref _version);
        if (_loop.IsOnLoopThread)
        {
            _loop.Timers.Remove(this);
        }
        else
        {
            _loop.PostIfRunning(static s => ((ReactorTimer)s!).RemoveOnLoop(), this);
        }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Runs the callback; the loop has already taken the timer out of the heap.</summary>
    internal void Fire(long now)
    {
        if (_disposed)
        {
            return;
        }

        if (_periodTicks > 0)
        {
            long next = Due + _periodTicks;
            _loop.Timers.Add(this, next > now ? next : now + _periodTicks);
        }

        if (_executionContext is null)
        {
            _callback(_state);
        }
        else
        {
            ExecutionContext.Run(_executionContext, static s => ((ReactorTimer)s!).InvokeCallback(), this);
        }
    }

    private void InvokeCallback() => _callback(_state);

    private void RemoveOnLoop() => _loop.Timers.Remove(this);

    private void Apply(TimeSpan dueTime, TimeSpan period)
    {
        TimerHeap heap = _loop.Timers;
        heap.Remove(this);
        _periodTicks = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? 0 : Math.Max(1, ToTicks(period));
        if (dueTime == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        heap.Add(this, Stopwatch.GetTimestamp() + ToTicks(dueTime));
    }

    private static long ToTicks(TimeSpan span)
    {
        Int128 ticks = (Int128)span.Ticks * Stopwatch.Frequency / TimeSpan.TicksPerSecond;
        return ticks > s_maxDelayTicks ? s_maxDelayTicks : (long)ticks;
    }

    private static void Validate(TimeSpan span, string name)
    {
        if (span < TimeSpan.Zero && span != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(name, span, "A timer interval must be non-negative or Timeout.InfiniteTimeSpan.");
        }
    }
}
