namespace AnyNet.Backends.Libuv.Internal;

/// <summary>
/// The libuv backend's clock: wall time and timestamps from the system, timers from uv_timer on the loop. Timer
/// callbacks run on the loop thread.
/// </summary>
internal sealed class LibuvTimeProvider : TimeProvider
{
    private readonly LibuvLoop _loop;

    public LibuvTimeProvider(LibuvLoop loop) => _loop = loop;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        LibuvTimer.Validate(dueTime, nameof(dueTime));
        LibuvTimer.Validate(period, nameof(period));
        return new LibuvTimer(_loop, callback, state, dueTime, period);
    }
}
