namespace AnyNet.Backends.Libuv.Internal;

/// <summary>
/// The libuv backend's clock: wall time and timestamps from the system, timers from uv_timer on a loop. Timer
/// callbacks run on that loop's thread: the loop that creates the timer, or loop 0 when created off every loop.
/// </summary>
internal sealed class LibuvTimeProvider : TimeProvider
{
    private readonly LoopSet _loops;

    public LibuvTimeProvider(LoopSet loops) => _loops = loops;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        LibuvTimer.Validate(dueTime, nameof(dueTime));
        LibuvTimer.Validate(period, nameof(period));
        return new LibuvTimer(_loops.CurrentOrFirst(), callback, state, dueTime, period);
    }
}
