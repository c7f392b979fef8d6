namespace AnyNet.Backends.Libuv;

/// <summary>Options of the <see cref="LibuvBackend"/>.</summary>
public sealed record LibuvBackendOptions
{
    /// <summary>
    /// The clock for sleeps and deadlines. Default (null): the backend's own clock, with timers on uv_timer. A manual test
    /// clock (for example <see cref="Testing.ManualTimeProvider"/>) makes them run in virtual time; if it implements
    /// <see cref="Testing.ILoopIdleObserver"/> the loop tells it whenever it runs out of work.
    /// </summary>
    public TimeProvider? TimeProvider { get; init; }
}
