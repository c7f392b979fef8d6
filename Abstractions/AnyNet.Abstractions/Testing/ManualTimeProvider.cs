using AnyNet.Testing.Internal;

namespace AnyNet.Testing;

/// <summary>
/// A <see cref="TimeProvider"/> whose time moves only when told to: <see cref="Advance"/>, <see cref="AdvanceTo"/>,
/// <see cref="AdvanceToNextTimer"/>, or on its own in <see cref="AutoAdvance"/> mode. Give it to a backend that declares
/// <see cref="BackendCapabilities.VirtualTime"/> and sleeps, deadlines and timeouts run in virtual time, without waiting.
/// </summary>
/// <remarks>
/// <para>
/// Moving the clock fires the timers it passes, in due order (timers due at the same instant in the order they were
/// armed), each with the clock set to its own due time, so code inside a callback sees exactly the time the timer was
/// due. Periodic timers fire once per period passed. Callbacks run on the thread that moves the clock, outside the
/// clock's lock: a callback may create, change or dispose timers, and continuations of a completed
/// <see cref="Task.Delay(TimeSpan, TimeProvider, CancellationToken)"/> may run inline there. An exception thrown by a
/// callback propagates out of the call that moved the clock, which then stops at that timer's time.
/// </para>
/// <para>
/// A timer created (or changed) with a due time of zero fires soon on the thread pool at the current time, as a
/// system timer would; <c>Advance(TimeSpan.Zero)</c> fires it at once. As with system timers, a callback that was
/// already being fired when the timer was disposed may still run once. Thread-safe.
/// </para>
/// </remarks>
public sealed class ManualTimeProvider : TimeProvider, ILoopIdleObserver
{
    /// <summary>The start time of a clock created without one: 2000-01-01T00:00:00Z.</summary>
    public static readonly DateTimeOffset DefaultStart = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly long s_maxTicks = DateTimeOffset.MaxValue.UtcTicks;

    private readonly Lock _gate = new();
    private readonly SortedSet<ManualTimer> _armed = new(ManualTimer.DueOrder);
    private readonly List<(int Count, TaskCompletionSource Done)> _countWaiters = [];
    private readonly List<SynchronizationContext> _idleLoops = [];
    private long _nowTicks;
    private long _sequence;
    private long _activity;
    private bool _autoAdvance;
    private bool _stepPending;

    /// <summary>Creates a clock that starts at <see cref="DefaultStart"/>.</summary>
    public ManualTimeProvider()
        : this(DefaultStart)
    {
    }

    /// <summary>Creates a clock that starts at <paramref name="start"/>.</summary>
    public ManualTimeProvider(DateTimeOffset start)
    {
        _nowTicks = start.UtcTicks;
        Start = start.ToUniversalTime();
    }

    /// <summary>The time the clock started at (UTC).</summary>
    public DateTimeOffset Start { get; }

    /// <summary>How far the clock has moved since <see cref="Start"/>.</summary>
    public TimeSpan Elapsed => GetUtcNow() - Start;

    /// <summary>How many timers are armed (waiting for a due time).</summary>
    public int ArmedTimerCount
    {
        get
        {
            lock (_gate)
            {
                return _armed.Count;
            }
        }
    }

    /// <summary>When the next armed timer is due, or null if none is armed.</summary>
    public DateTimeOffset? NextTimerDue
    {
        get
        {
            lock (_gate)
            {
                return _armed.Count == 0 ? null : new DateTimeOffset(_armed.Min!.DueTicks, TimeSpan.Zero);
            }
        }
    }

    /// <summary>
    /// When true, the clock jumps to the next armed timer each time the code using it is idle, so a program that
    /// sleeps for an hour finishes at once, with exactly an hour of virtual time passed.
    /// </summary>
    /// <remarks>
    /// <para>
    /// "Idle" means: on a loop backend that calls <see cref="ILoopIdleObserver.OnLoopIdle"/>, its run queue is empty and
    /// it is about to block. Everywhere else (the thread pool, or a loop that does not report idleness), the clock
    /// decides for itself: when a timer is armed it posts one advance step to the scheduler the timer was armed on (the
    /// current <see cref="SynchronizationContext"/>, or else the thread pool). The step runs after the work already
    /// queued there; if any timer was armed, changed or disposed meanwhile, it posts itself again, and once a whole
    /// trip passes without such activity it moves the clock to the next due time and fires what is due. While timers
    /// remain armed, it then posts the next step.
    /// </para>
    /// <para>
    /// Waits that are not timers (sockets, threads, events set from outside) do not hold the clock back: as in Trio's
    /// auto-jumping clock, a pending timeout fires as soon as the code is otherwise idle.
    /// </para>
    /// </remarks>
    public bool AutoAdvance
    {
        get
        {
            lock (_gate)
            {
                return _autoAdvance;
            }
        }

        set
        {
            AutoAdvanceStep? step;
            lock (_gate)
            {
                _autoAdvance = value;
                step = _armed.Count > 0 ? CreateStepLocked(SynchronizationContext.Current) : null;
            }

            step?.Post();
        }
    }

    /// <inheritdoc />
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <summary>UTC: a test clock does not depend on the machine's time zone.</summary>
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _nowTicks), TimeSpan.Zero);

    /// <inheritdoc />
    public override long GetTimestamp() => Interlocked.Read(ref _nowTicks);

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        ValidatePeriod(dueTime, nameof(dueTime));
        ValidatePeriod(period, nameof(period));
        var timer = new ManualTimer(this, callback, state);
        ChangeTimer(timer, dueTime, period);
        return timer;
    }

    /// <summary>Moves the clock forward by <paramref name="delta"/>, firing every timer it passes, in due order.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delta"/> is negative.</exception>
    public void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        long now = Interlocked.Read(ref _nowTicks);
        AdvanceToTicks(delta.Ticks > s_maxTicks - now ? s_maxTicks : now + delta.Ticks);
    }

    /// <summary>Moves the clock forward to <paramref name="time"/>, firing every timer it passes, in due order.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="time"/> is earlier than now: the clock never goes back.</exception>
    public void AdvanceTo(DateTimeOffset time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(time, GetUtcNow());
        AdvanceToTicks(time.UtcTicks);
    }

    /// <summary>Moves the clock to the next armed timer's due time and fires every timer due then.</summary>
    /// <returns>False, leaving the clock where it is, if no timer is armed.</returns>
    public bool AdvanceToNextTimer()
    {
        long target;
        lock (_gate)
        {
            if (_armed.Count == 0)
            {
                return false;
            }

            target = Math.Max(_armed.Min!.DueTicks, _nowTicks);
        }

        AdvanceToTicks(target);
        return true;
    }

    /// <summary>
    /// Completes once at least <paramref name="count"/> timers are armed: the way a test knows that the code under test
    /// has started its sleep or set its deadline, before it moves the clock.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public Task WaitForArmedTimersAsync(int count, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_armed.Count >= count)
            {
                return Task.CompletedTask;
            }

            _countWaiters.Add((count, done));
        }

        if (cancellationToken.CanBeCanceled)
        {
            CancellationTokenRegistration registration = cancellationToken.UnsafeRegister(_ =>
            {
                lock (_gate)
                {
                    _countWaiters.Remove((count, done));
                }

                done.TrySetCanceled(cancellationToken);
            }, null);
            _ = done.Task.ContinueWith(static (_, r) => ((CancellationTokenRegistration)r!).Dispose(), registration, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        return done.Task;
    }

    /// <inheritdoc />
    IDisposable ILoopIdleObserver.AttachLoop(SynchronizationContext loopContext)
    {
        ArgumentNullException.ThrowIfNull(loopContext);
        lock (_gate)
        {
            _idleLoops.Add(loopContext);
        }

        return new LoopAttachment(this, loopContext);
    }

    /// <inheritdoc />
    bool ILoopIdleObserver.OnLoopIdle()
    {
        long target;
        lock (_gate)
        {
            if (!_autoAdvance || _armed.Count == 0)
            {
                return false;
            }

            target = Math.Max(_armed.Min!.DueTicks, _nowTicks);
        }

        AdvanceToTicks(target);
        return true;
    }

    internal bool ChangeTimer(ManualTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        ValidatePeriod(dueTime, nameof(dueTime));
        ValidatePeriod(period, nameof(period));
        List<TaskCompletionSource>? satisfied = null;
        AutoAdvanceStep? step = null;
        bool fireSoon = false;
        lock (_gate)
        {
            if (timer.Disposed)
            {
                return false;
            }

            DisarmLocked(timer);
            timer.PeriodTicks = period == Timeout.InfiniteTimeSpan ? 0 : period.Ticks;
            if (dueTime != Timeout.InfiniteTimeSpan && dueTime.Ticks <= s_maxTicks - _nowTicks)
            {
                ArmLocked(timer, _nowTicks + dueTime.Ticks);
                fireSoon = dueTime == TimeSpan.Zero;
                satisfied = TakeSatisfiedWaitersLocked();
                step = CreateStepLocked(SynchronizationContext.Current);
            }
        }

        if (satisfied is not null)
        {
            satisfied.ForEach(static done => done.TrySetResult());
        }

        if (fireSoon)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static clock => clock.AdvanceToTicks(Interlocked.Read(ref clock._nowTicks)), this, preferLocal: false);
        }

        step?.Post();
        return true;
    }

    internal void DisposeTimer(ManualTimer timer)
    {
        lock (_gate)
        {
            timer.Disposed = true;
            DisarmLocked(timer);
        }
    }

    internal void RunAutoAdvanceStep(AutoAdvanceStep step)
    {
        long target = 0;
        bool busy;
        lock (_gate)
        {
            if (!_autoAdvance || _armed.Count == 0)
            {
                _stepPending = false;
                return;
            }

            // Something armed or moved a timer since the step was posted: the code is not idle yet.
            busy = step.SeenActivity != _activity;
            if (busy)
            {
                step.SeenActivity = _activity;
            }
            else
            {
                _stepPending = false;
                target = Math.Max(_armed.Min!.DueTicks, _nowTicks);
            }
        }

        if (busy)
        {
            step.Post();
            return;
        }

        AdvanceToTicks(target);
        AutoAdvanceStep? next;
        lock (_gate)
        {
            next = _armed.Count > 0 ? CreateStepLocked(step.Context) : null;
        }

        next?.Post();
    }

    private static void ValidatePeriod(TimeSpan value, string name)
    {
        if (value != Timeout.InfiniteTimeSpan && value < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, "The time must be zero or positive, or Timeout.InfiniteTimeSpan.");
        }
    }

    private void AdvanceToTicks(long target)
    {
        while (true)
        {
            ManualTimer timer;
            lock (_gate)
            {
                if (_armed.Count == 0 || _armed.Min!.DueTicks > target)
                {
                    if (_nowTicks < target)
                    {
                        Interlocked.Exchange(ref _nowTicks, target);
                    }

                    return;
                }

                timer = _armed.Min;
                _armed.Remove(timer);
                timer.Armed = false;
                if (timer.DueTicks > _nowTicks)
                {
                    Interlocked.Exchange(ref _nowTicks, timer.DueTicks);
                }

                if (timer.PeriodTicks > 0 && timer.PeriodTicks <= s_maxTicks - timer.DueTicks)
                {
                    ArmLocked(timer, timer.DueTicks + timer.PeriodTicks);
                }
            }

            timer.Fire();
        }
    }

    private void ArmLocked(ManualTimer timer, long dueTicks)
    {
        timer.DueTicks = dueTicks;
        timer.Sequence = ++_sequence;
        timer.Armed = true;
        _armed.Add(timer);
        _activity++;
    }

    private void DisarmLocked(ManualTimer timer)
    {
        if (timer.Armed)
        {
            _armed.Remove(timer);
            timer.Armed = false;
            _activity++;
        }
    }

    private List<TaskCompletionSource>? TakeSatisfiedWaitersLocked()
    {
        List<TaskCompletionSource>? satisfied = null;
        for (int i = _countWaiters.Count - 1; i >= 0; i--)
        {
            if (_armed.Count >= _countWaiters[i].Count)
            {
                (satisfied ??= []).Add(_countWaiters[i].Done);
                _countWaiters.RemoveAt(i);
            }
        }

        return satisfied;
    }

    private AutoAdvanceStep? CreateStepLocked(SynchronizationContext? context)
    {
        if (!_autoAdvance || _stepPending || (context is not null && _idleLoops.Contains(context)))
        {
            // Already scheduled, or the loop that armed the timer reports its own idleness through OnLoopIdle.
            return null;
        }

        _stepPending = true;
        return new AutoAdvanceStep(this, context, _activity);
    }

    private sealed class LoopAttachment(ManualTimeProvider owner, SynchronizationContext loopContext) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                lock (owner._gate)
                {
                    owner._idleLoops.Remove(loopContext);
                }
            }
        }
    }
}
