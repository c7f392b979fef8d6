using System.Diagnostics;

namespace AnyNet.Backends.Reactor.Internal;

/// <summary>The reactor's clock: monotonic timestamps, and timers kept in the loop's heap whose callbacks run on the loop.</summary>
internal sealed class ReactorTimeProvider : TimeProvider
{
    private readonly EventLoop _loop;

    public ReactorTimeProvider(EventLoop loop) => _loop = loop;

    public override long TimestampFrequency => Stopwatch.Frequency;

    public override long GetTimestamp() => Stopwatch.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        if (_loop.IsStopped)
        {
            // A timer on a loop that has ended could never fire: fail now rather than leave a sleep hanging forever.
            throw new ObjectDisposedException("reactor", "The reactor backend was disposed; its clock can no longer run timers.");
        }

        var timer = new ReactorTimer(_loop, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }
}
