namespace AnyNet.Backends.Reactor.Internal;

/// <summary>
/// The loops of one backend and the rules for placing work on them: loop 0 runs <c>RunAsync</c>; a socket or timer
/// made on one of the loops stays on it; one made elsewhere, and each accepted connection, goes to the next loop in
/// turn (round robin).
/// </summary>
internal sealed class LoopSet
{
    private readonly EventLoop[] _loops;
    private int _next = -1;

    public LoopSet(EventLoop[] loops) => _loops = loops;

    public IReadOnlyList<EventLoop> All => _loops;

    public EventLoop First => _loops[0];

    public int Count => _loops.Length;

    /// <summary>The loop whose thread is calling, or null when the caller is on none of them.</summary>
    public EventLoop? Current
    {
        get
        {
            foreach (EventLoop loop in _loops)
            {
                if (loop.IsOnLoopThread)
                {
                    return loop;
                }
            }

            return null;
        }
    }

    /// <summary>The next loop in round-robin order (any thread).</summary>
    public EventLoop Next()
    {
        if (_loops.Length == 1)
        {
            return _loops[0];
        }

        uint turn = (uint)Interlocked.Increment(ref _next);
        return _loops[(int)(turn % (uint)_loops.Length)];
    }

    /// <summary>Where a new socket goes: the calling loop, or the next one in turn when called off every loop.</summary>
    public EventLoop CurrentOrNext() => Current ?? Next();

    /// <summary>Where a new timer goes: the calling loop, or loop 0.</summary>
    public EventLoop CurrentOrFirst() => Current ?? _loops[0];
}
