using AnyNet.Testing;

namespace AnyNet.Backends.Simulated.Internal;

/// <summary>
/// The network's view of its <see cref="ManualTimeProvider"/>. Every timer is the clock's own, except that a timer due
/// in zero fires through the scheduler instead of the thread pool (where the clock would fire it), so that even an
/// immediate timeout is an ordinary, seeded scheduling step.
/// </summary>
internal sealed class SimClock(ManualTimeProvider clock, SimLoop loop) : TimeProvider
{
    private readonly SimLoop _loop = loop;

    public ManualTimeProvider Clock => clock;

    public override long TimestampFrequency => clock.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => clock.LocalTimeZone;

    public override DateTimeOffset GetUtcNow() => clock.GetUtcNow();

    public override long GetTimestamp() => clock.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new SimTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private sealed class SimTimer : ITimer
    {
        private readonly SimClock _owner;
        private readonly TimerCallback _callback;
        private readonly object? _state;
        private readonly ITimer _inner;
        private readonly Lock _gate = new();
        private long _generation;
        private bool _disposed;

        public SimTimer(SimClock owner, TimerCallback callback, object? state)
        {
            _owner = owner;
            _callback = callback;
            _state = state;
            _inner = owner.Clock.CreateTimer(static s => ((SimTimer)s!).OnFired(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            Validate(dueTime, nameof(dueTime));
            Validate(period, nameof(period));
            if (!_owner._loop.IsOnLoopThread)
            {
                // Armed from another thread, the clock would post its own auto-advance step to the thread pool and
                // move time behind the scheduler's back: arm it from the scheduler thread instead, where the
                // scheduler alone decides when time jumps.
                lock (_gate)
                {
                    if (_disposed)
                    {
                        return false;
                    }
                }

                _owner._loop.Post(_ => Change(dueTime, period), null);
                return true;
            }

            long generation;
            lock (_gate)
            {
                if (_disposed)
                {
                    return false;
                }

                generation = ++_generation;
            }

            if (dueTime != TimeSpan.Zero)
            {
                return _inner.Change(dueTime, period);
            }

            _inner.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _owner.PostToLoop(() =>
            {
                lock (_gate)
                {
                    if (_disposed || generation != _generation)
                    {
                        return;
                    }
                }

                if (period != Timeout.InfiniteTimeSpan && period > TimeSpan.Zero)
                {
                    _inner.Change(period, period);
                }

                _callback(_state);
            });
            return true;
        }

        private void OnFired()
        {
            if (!_owner._loop.IsIdleAdvance)
            {
                // Fired by an explicit Advance (a test moving the clock): the callback runs before Advance returns, as
                // the clock promises.
                _callback(_state);
                return;
            }

            // Fired because the loop went idle: the callback (and the continuation of a Task.Delay, which would otherwise
            // run inline here, in the order the timers were armed) becomes a ready step, ordered by the seed among the
            // other timers due at the same instant. A change or disposal before that step cancels it.
            long generation;
            lock (_gate)
            {
                generation = _generation;
            }

            _owner._loop.Post(static s =>
            {
                var (timer, armed) = ((SimTimer, long))s!;
                lock (timer._gate)
                {
                    if (timer._disposed || armed != timer._generation)
                    {
                        return;
                    }
                }

                timer._callback(timer._state);
            }, (this, generation));
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _disposed = true;
                _generation++;
            }

            _inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        private static void Validate(TimeSpan value, string name)
        {
            if (value != Timeout.InfiniteTimeSpan && value < TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(name, value, "The time must be zero or positive, or Timeout.InfiniteTimeSpan.");
            }
        }
    }

    private void PostToLoop(Action action) => _loop.Post(static a => ((Action)a!)(), action);
}
