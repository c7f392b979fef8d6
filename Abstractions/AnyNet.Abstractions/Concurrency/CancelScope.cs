namespace AnyNet;

/// <summary>
/// A region of code that can be cancelled as a unit, by <see cref="Cancel"/> or a <see cref="Deadline"/> on a
/// <see cref="System.TimeProvider"/> (use the backend's). The cancellation the scope caused is absorbed when the body
/// ends with <see cref="OperationCanceledException"/>; an outer cancellation passes through.
/// </summary>
/// <remarks>
/// A scope is entered once, with <see cref="RunAsync(Func{CancellationToken, Task}, CancellationToken)"/>. The body
/// receives the scope's token and must pass it on. A <see cref="Shield">shielded</see> scope ignores the outer token
/// but still obeys its own <see cref="Cancel"/> and deadline: the pattern for a graceful close with its own timeout.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The token source has no timer of its own (the deadline uses an ITimer that RunAsync disposes), so it holds nothing to release.")]
public sealed class CancelScope
{
    private static readonly AsyncLocal<CancelScope?> s_current = new();

    private readonly CancellationTokenSource _cancellation = new();
    private readonly TimeProvider _timeProvider;
    private readonly Lock _gate = new();
    private CancellationToken _outerToken;
    private CancellationTokenRegistration _outerRegistration;
    private ITimer? _deadlineTimer;
    private DateTimeOffset _deadline = DateTimeOffset.MaxValue;
    private CancelScope? _parent;
    private bool _shield;
    private bool _entered;
    private volatile bool _deadlineFired;
    private volatile bool _cancelCalled;
    private volatile bool _outerCancelled;

    /// <summary>Creates a scope whose deadline runs on <paramref name="timeProvider"/> (default: the system clock).</summary>
    public CancelScope(TimeProvider? timeProvider = null)
    {
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The innermost scope whose body is running on this async flow, or null.</summary>
    public static CancelScope? Current => s_current.Value;

    /// <summary>The scope's token: cancelled by <see cref="Cancel"/>, the deadline, or (unless shielded) the outer token.</summary>
    public CancellationToken Token => _cancellation.Token;

    /// <summary>True once <see cref="Cancel"/> was called.</summary>
    public bool CancelCalled => _cancelCalled;

    /// <summary>True once the deadline has fired.</summary>
    public bool DeadlineReached => _deadlineFired;

    /// <summary>True when the body ended with the cancellation this scope caused, and the scope absorbed it.</summary>
    public bool CancelledCaught { get; private set; }

    /// <summary>
    /// When the scope cancels itself, on its time provider's clock (<see cref="DateTimeOffset.MaxValue"/>: never).
    /// It may be moved at any time: later extends, a time already past cancels at once.
    /// </summary>
    public DateTimeOffset Deadline
    {
        get => _deadline;
        set
        {
            lock (_gate)
            {
                _deadline = value;
                ScheduleDeadline();
            }
        }
    }

    /// <summary>The earliest deadline that applies inside this scope: its own, or an enclosing scope's unless shielded.</summary>
    public DateTimeOffset EffectiveDeadline
    {
        get
        {
            DateTimeOffset own = _deadline;
            if (_shield || _parent is null)
            {
                return own;
            }

            DateTimeOffset outer = _parent.EffectiveDeadline;
            return outer < own ? outer : own;
        }
    }

    /// <summary>When true, cancellation of the outer token does not reach the body. Can be changed while inside.</summary>
    public bool Shield
    {
        get => _shield;
        set
        {
            _shield = value;
            if (!value && _outerToken.IsCancellationRequested)
            {
                OnOuterCancelled();
            }
        }
    }

    /// <summary>A scope that cancels after <paramref name="delay"/> and lets <see cref="RunAsync(Func{CancellationToken, Task}, CancellationToken)"/> return normally.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delay"/> is negative (other than <see cref="Timeout.InfiniteTimeSpan"/>).</exception>
    public static CancelScope MoveOnAfter(TimeSpan delay, TimeProvider? timeProvider = null)
    {
        var scope = new CancelScope(timeProvider);
        scope.Deadline = scope.DeadlineAfter(delay);
        return scope;
    }

    /// <summary>Runs <paramref name="body"/> with a deadline <paramref name="delay"/> from now; returns true if the deadline cut it short.</summary>
    public static async Task<bool> MoveOnAfterAsync(TimeSpan delay, Func<CancellationToken, Task> body, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        CancelScope scope = MoveOnAfter(delay, timeProvider);
        await scope.RunAsync(body, cancellationToken);
        return scope.CancelledCaught;
    }

    /// <summary>
    /// Runs <paramref name="body"/> with a deadline <paramref name="delay"/> from now.
    /// </summary>
    /// <exception cref="TimeoutException">The deadline fired and cancelled the body.</exception>
    public static async Task FailAfterAsync(TimeSpan delay, Func<CancellationToken, Task> body, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        CancelScope scope = MoveOnAfter(delay, timeProvider);
        await scope.RunAsync(body, cancellationToken);
        scope.ThrowIfTimedOut(delay);
    }

    /// <summary>Runs <paramref name="body"/> with a deadline <paramref name="delay"/> from now and returns its value.</summary>
    /// <exception cref="TimeoutException">The deadline fired and cancelled the body.</exception>
    public static async Task<T> FailAfterAsync<T>(TimeSpan delay, Func<CancellationToken, Task<T>> body, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        CancelScope scope = MoveOnAfter(delay, timeProvider);
        T result = default!;
        await scope.RunAsync(async token => { result = await body(token); }, cancellationToken);
        scope.ThrowIfTimedOut(delay);
        return result;
    }

    /// <summary>Cancels the scope. Before the body starts, the body sees it at its first cancellation check.</summary>
    public void Cancel()
    {
        _cancelCalled = true;
        _cancellation.Cancel();
    }

    /// <summary>Enters the scope: runs <paramref name="body"/> with the scope's token.</summary>
    /// <param name="body">The code to run.</param>
    /// <param name="cancellationToken">The outer token; its cancellation passes through unless <see cref="Shield"/> is set.</param>
    /// <exception cref="InvalidOperationException">The scope was already entered.</exception>
    /// <exception cref="OperationCanceledException">The outer token cancelled the body.</exception>
    public async Task RunAsync(Func<CancellationToken, Task> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        lock (_gate)
        {
            if (_entered)
            {
                throw new InvalidOperationException("A cancel scope can be entered only once.");
            }

            _entered = true;
            _outerToken = cancellationToken;
        }

        _parent = s_current.Value;
        s_current.Value = this;
        _outerRegistration = cancellationToken.UnsafeRegister(static s => ((CancelScope)s!).OnOuterCancelled(), this);
        try
        {
            await body(_cancellation.Token);
        }
        catch (OperationCanceledException) when (_cancellation.IsCancellationRequested && !_outerCancelled)
        {
            CancelledCaught = true;
        }
        finally
        {
            await _outerRegistration.DisposeAsync();
            lock (_gate)
            {
                _deadlineTimer?.Dispose();
                _deadlineTimer = null;
            }

            s_current.Value = _parent;
        }
    }

    /// <summary>Enters the scope and returns the body's value, or <paramref name="cancelledValue"/> when the scope absorbed its own cancellation.</summary>
    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> body, T cancelledValue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        T result = cancelledValue;
        await RunAsync(async token => { result = await body(token); }, cancellationToken);
        return result;
    }

    internal DateTimeOffset DeadlineAfter(TimeSpan delay)
    {
        if (delay == Timeout.InfiniteTimeSpan)
        {
            return DateTimeOffset.MaxValue;
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        DateTimeOffset now = _timeProvider.GetUtcNow();
        return DateTimeOffset.MaxValue - now <= delay ? DateTimeOffset.MaxValue : now + delay;
    }

    private void ThrowIfTimedOut(TimeSpan delay)
    {
        if (CancelledCaught && _deadlineFired && !_cancelCalled)
        {
            throw new TimeoutException($"The operation did not complete within {delay}.");
        }
    }

    private void ScheduleDeadline()
    {
        if (_deadline == DateTimeOffset.MaxValue)
        {
            _deadlineTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        TimeSpan due = _deadline - _timeProvider.GetUtcNow();
        if (due <= TimeSpan.Zero)
        {
            _deadlineTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            OnDeadline();
            return;
        }

        if (_deadlineTimer is null)
        {
            _deadlineTimer = _timeProvider.CreateTimer(static s => ((CancelScope)s!).OnDeadline(), this, due, Timeout.InfiniteTimeSpan);
        }
        else
        {
            _deadlineTimer.Change(due, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnDeadline()
    {
        // A timer may fire late after the deadline was moved later: only a deadline that has really passed cancels.
        if (_timeProvider.GetUtcNow() < _deadline)
        {
            lock (_gate)
            {
                ScheduleDeadline();
            }

            return;
        }

        _deadlineFired = true;
        _cancellation.Cancel();
    }

    private void OnOuterCancelled()
    {
        if (_shield)
        {
            return;
        }

        _outerCancelled = true;
        _cancellation.Cancel();
    }
}
