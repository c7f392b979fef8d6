using System.Diagnostics;

namespace AnyNet.Backends.Reactor.Internal;

/// <summary>
/// The reactor's clock: monotonic timestamps, and timers kept in a loop's heap whose callbacks run on that loop. With
/// several loops, a timer goes to the loop that creates it (so a sleep resumes without a thread hop), or to loop 0
/// when created off every loop.
/// </summary>
internal sealed class ReactorTimeProvider : TimeProvider
{
    private readonly EventLoop? _loop;
    private readonly LoopSet? _loops;

    public ReactorTimeProvider(EventLoop loop) => _loop = loop;

    public ReactorTimeProvider(LoopSet loops) => _loops = loops;

    public override long TimestampFrequency => Stopwatch.Frequency;

    public override long GetTimestamp() => Stopwatch.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        EventLoop loop = _loop ?? _loops!.CurrentOrFirst();
        if (loop.IsStopped)
        {
            // A timer on a loop that has ended could never fire: fail now rather than leave a sleep hanging forever.
            throw new ObjectDisposedException("reactor", "The reactor backend was disposed; its clock can no longer run timers.");
        }

        var timer = new ReactorTimer(loop, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }
}
