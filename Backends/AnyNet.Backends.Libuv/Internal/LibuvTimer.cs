using System.Runtime.InteropServices;
using AnyNet.Backends.Libuv.Interop;

namespace AnyNet.Backends.Libuv.Internal;

/// <summary>
/// An <see cref="ITimer"/> backed by a uv_timer. Creation, <see cref="Change"/> and disposal from a foreign thread
/// are queued to the loop (in order); on the loop thread they apply at once.
/// </summary>
internal sealed unsafe class LibuvTimer : ITimer
{
    private const double MaxMilliseconds = uint.MaxValue - 1.0;

    private readonly LibuvLoop _loop;
    private readonly TimerCallback _callback;
    private readonly object? _state;
    private TimerHandle? _handle;
    private (TimeSpan Due, TimeSpan Period)? _changedBeforeCreate;
    private volatile bool _disposed;

    public LibuvTimer(LibuvLoop loop, TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        _loop = loop;
        _callback = callback;
        _state = state;
        if (loop.IsLoopThread)
        {
            Create(dueTime, period);
        }
        else
        {
            loop.Post(static s => { var (timer, due, period) = ((LibuvTimer, TimeSpan, TimeSpan))s!; timer.Create(due, period); }, (this, dueTime, period));
        }
    }

    public static void Validate(TimeSpan value, string name)
    {
        double ms = value.TotalMilliseconds;
        if (value != Timeout.InfiniteTimeSpan && (ms < 0 || ms > MaxMilliseconds))
        {
            throw new ArgumentOutOfRangeException(name, value, "The timer interval must be Timeout.InfiniteTimeSpan or between 0 and 4294967294 milliseconds.");
        }
    }

    public bool Change(TimeSpan dueTime, TimeSpan period)
    {
        Validate(dueTime, nameof(dueTime));
        Validate(period, nameof(period));
        if (_disposed)
        {
            return false;
        }

        if (_loop.IsLoopThread)
        {
            Apply(dueTime, period);
        }
        else
        {
            _loop.Post(static s => { var (timer, due, period) = ((LibuvTimer, TimeSpan, TimeSpan))s!; timer.Apply(due, period); }, (this, dueTime, period));
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
        if (_loop.IsLoopThread)
        {
            _handle?.Close();
        }
        else
        {
            _loop.Post(static s => ((LibuvTimer)s!)._handle?.Close(), this);
        }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private void Create(TimeSpan dueTime, TimeSpan period)
    {
        if (_disposed || _loop.IsStopping)
        {
            return;
        }

        _handle = new TimerHandle(this);
        (dueTime, period) = _changedBeforeCreate ?? (dueTime, period);
        _changedBeforeCreate = null;
        Apply(dueTime, period);
    }

    private void Apply(TimeSpan dueTime, TimeSpan period)
    {
        TimerHandle? handle = _handle;
        if (handle is null && !_disposed)
        {
            // Changed on the loop thread before the creation queued by a foreign thread ran: the latest change wins.
            _changedBeforeCreate = (dueTime, period);
            return;
        }

        if (_disposed || handle is null || handle.IsClosed)
        {
            return;
        }

        _ = Uv.uv_timer_stop(handle.Handle);
        if (dueTime == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        // libuv measures from the cached loop time in whole milliseconds: refresh it and round up (plus one tick of
        // the millisecond clock) so that a timer never fires before its due time.
        ulong due = dueTime == TimeSpan.Zero ? 0 : (ulong)Math.Ceiling(dueTime.TotalMilliseconds) + 1;
        ulong repeat = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? 0 : Math.Max(1, (ulong)Math.Ceiling(period.TotalMilliseconds));
        Uv.uv_update_time(_loop.Native);
        int status = Uv.uv_timer_start(handle.Handle, &OnTimer, due, repeat);
        if (status < 0)
        {
            throw UvErrors.Exception(status, "uv_timer_start");
        }
    }

    [UnmanagedCallersOnly]
    private static void OnTimer(IntPtr handle)
    {
        try
        {
            LibuvTimer timer = UvHandle.FromHandle<TimerHandle>(handle).Owner;
            if (!timer._disposed)
            {
                timer._callback(timer._state);
            }
        }
        catch (Exception e)
        {
            LibuvLoop.ReportCallbackFailure(e);
        }
    }

    private sealed class TimerHandle : UvHandle
    {
        public TimerHandle(LibuvTimer owner)
            : base(owner._loop, Uv.HandleType.Timer)
        {
            Owner = owner;
            CompleteInit(Uv.uv_timer_init(owner._loop.Native, Handle), "uv_timer_init");
        }

        public LibuvTimer Owner { get; }
    }
}
