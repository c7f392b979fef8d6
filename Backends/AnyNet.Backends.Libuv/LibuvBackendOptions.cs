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

    /// <summary>The value of <see cref="Loops"/> that means one loop per core (<see cref="Environment.ProcessorCount"/>).</summary>
    public const int AutoLoops = 0;

    /// <summary>
    /// How many libuv loops (threads, each running uv_run) the backend runs. Default 1: all user code on one thread, as
    /// in Node.js. <see cref="AutoLoops"/> (0) means one per core available to the process
    /// (<see cref="Environment.ProcessorCount"/>, which follows <c>taskset</c> and container CPU limits). In
    /// configuration: <c>"Loops": 4</c>, or <c>0</c> for one per core.
    /// </summary>
    /// <remarks>
    /// <para>
    /// With several loops, <c>RunAsync</c> code runs on loop 0. Each connection lives on one loop for its whole life. A
    /// socket or timer made on a loop stays on that loop; one made from any other thread goes to the next loop in turn.
    /// A listener is one socket: its loop accepts, and hands each accepted connection to the next loop in turn (round
    /// robin: the descriptor is duplicated and wrapped by the target loop, since a libuv handle belongs to one loop);
    /// <c>ServeAsync</c> (and hosted servers) start each connection's handler on its loop
    /// (<see cref="TypedAttributes.LoopContext"/>).
    /// </para>
    /// <para>
    /// Why one acceptor and not one <c>SO_REUSEPORT</c> listener per loop: the kernel spreads connections over
    /// <c>SO_REUSEPORT</c> listeners by a hash of the addresses, blind to how busy each loop is, and connections queued
    /// on one listener are reset when it closes. One listening socket keeps every listener behaviour of a single loop:
    /// port 0, Unix sockets (which have no <c>SO_REUSEPORT</c>), no other process able to bind the port alongside, and
    /// one backlog. The cost is one cross-thread hand-off (and a dup(2)) per accepted connection.
    /// </para>
    /// <para>
    /// The backend then no longer declares <see cref="BackendCapabilities.SingleThreadedLoop"/>: code of one task, and
    /// of the children it starts, stays on one loop, but handlers of different connections run in parallel, so state
    /// they share needs a lock (or <see cref="AsyncLock"/>). Calls on a socket from a thread other than its loop's work,
    /// but cost a thread hop each. A test clock does not auto-advance exactly with more than one loop.
    /// </para>
    /// </remarks>
    public int Loops { get; init; } = 1;

    /// <summary><see cref="Loops"/> with <see cref="AutoLoops"/> resolved to the core count.</summary>
    internal int EffectiveLoops => Loops == AutoLoops ? Math.Max(1, Environment.ProcessorCount) : Loops;

    /// <summary>Validates the options and throws <see cref="ArgumentOutOfRangeException"/> naming a bad value.</summary>
    public void Validate()
    {
        if (Loops is < 0 or > 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(Loops), Loops, "The number of loops must be between 1 and 1024, or 0 (AutoLoops) for one per core.");
        }
    }
}
