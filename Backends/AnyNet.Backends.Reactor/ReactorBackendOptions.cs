namespace AnyNet.Backends.Reactor;

/// <summary>Options for <see cref="ReactorBackend"/>.</summary>
public sealed record ReactorBackendOptions
{
    /// <summary>How many epoll events one epoll_wait call may return. Default 256.</summary>
    public int EventBatchSize { get; init; } = 256;

    /// <summary>The name of the loop thread (shown in debuggers and dumps). Default "AnyNet reactor".</summary>
    public string ThreadName { get; init; } = "AnyNet reactor";

    /// <summary>
    /// The clock for sleeps, deadlines and timeouts. Null (the default): the loop's own timer heap on the monotonic
    /// clock. A test clock such as <see cref="Testing.ManualTimeProvider"/> runs them in virtual time; if it implements
    /// <see cref="Testing.ILoopIdleObserver"/> the loop tells it whenever it runs out of work, so it can jump ahead.
    /// </summary>
    public TimeProvider? TimeProvider { get; init; }

    /// <summary>The value of <see cref="Loops"/> that means one loop per core (<see cref="Environment.ProcessorCount"/>).</summary>
    public const int AutoLoops = 0;

    /// <summary>
    /// How many loops (epoll threads) the backend runs. Default 1: all user code on one thread, as in asyncio.
    /// <see cref="AutoLoops"/> (0) means one per core available to the process (<see cref="Environment.ProcessorCount"/>,
    /// which follows <c>taskset</c> and container CPU limits). In configuration: <c>"Loops": 4</c>, or <c>0</c> for one per core.
    /// </summary>
    /// <remarks>
    /// <para>
    /// With several loops, <c>RunAsync</c> code runs on loop 0. Each connection lives on one loop for its whole life. A
    /// socket or timer made on a loop stays on that loop; one made from any other thread goes to the next loop in turn.
    /// A listener is one socket: its loop accepts, and hands each accepted connection to the next loop in turn (round
    /// robin); <c>ServeAsync</c> (and hosted servers) start each connection's handler on its loop
    /// (<see cref="TypedAttributes.LoopContext"/>).
    /// </para>
    /// <para>
    /// Why one acceptor and not one <c>SO_REUSEPORT</c> listener per loop: the kernel spreads connections over
    /// <c>SO_REUSEPORT</c> listeners by a hash of the addresses, blind to how busy each loop is, and connections queued
    /// on one listener are reset when it closes. One listening socket keeps every listener behaviour of a single loop:
    /// port 0, Unix sockets (which have no <c>SO_REUSEPORT</c>), no other process able to bind the port alongside, and
    /// one backlog. Round robin also spreads a few connections evenly, where a hash may put them all on one loop.
    /// The cost is one cross-thread hand-off per accepted connection.
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
        if (EventBatchSize is <= 0 or > 65536)
        {
            throw new ArgumentOutOfRangeException(nameof(EventBatchSize), EventBatchSize, "The epoll batch size must be between 1 and 65536.");
        }

        if (Loops is < 0 or > 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(Loops), Loops, "The number of loops must be between 1 and 1024, or 0 (AutoLoops) for one per core.");
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(ThreadName);
    }
}
