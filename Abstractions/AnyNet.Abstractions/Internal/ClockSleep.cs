namespace AnyNet.Internal;

/// <summary>
/// A sleep on a <see cref="TimeProvider"/> that, when cancelled, disposes its timer before the sleeper sees the
/// cancellation.
/// </summary>
/// <remarks>
/// <c>Task.Delay(delay, timeProvider, token)</c> completes the cancelled task first and disposes its timer after the
/// continuations it ran inline have returned. On a virtual clock that auto-advances from the thread pool, that timer is
/// still armed while the sleeper's code goes on, so a concurrent auto-advance step can jump the clock to a sleep nobody
/// waits for any more (seen once: after <c>FailAfterAsync(1 h, sleep 2 h)</c> threw, the test read 3 h instead of 2 h).
/// Here the timer is gone before anyone is told.
/// </remarks>
internal sealed class ClockSleep : TaskCompletionSource
{
    private readonly ITimer _timer;
    private readonly CancellationTokenRegistration _registration;
    private readonly CancellationToken _cancellationToken;

    private ClockSleep(TimeSpan delay, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        _cancellationToken = cancellationToken;
        // Armed before the registration: a token cancelled meanwhile finds the timer there to dispose.
        _timer = timeProvider.CreateTimer(static state => ((ClockSleep)state!).OnTimer(), this, delay, Timeout.InfiniteTimeSpan);
        _registration = cancellationToken.UnsafeRegister(static state => ((ClockSleep)state!).OnCancelled(), this);
        if (Task.IsCompleted)
        {
            // The timer fired before the registration existed, so its own dispose of it did nothing.
            _registration.Dispose();
        }
    }

    public static Task Start(TimeSpan delay, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        if (delay == Timeout.InfiniteTimeSpan && !cancellationToken.CanBeCanceled)
        {
            return new TaskCompletionSource().Task; // never ends, and holds no timer
        }

        return new ClockSleep(delay, timeProvider, cancellationToken).Task;
    }

    private void OnTimer()
    {
        _timer.Dispose();
        _registration.Dispose();
        TrySetResult();
    }

    private void OnCancelled()
    {
        _timer.Dispose();
        TrySetCanceled(_cancellationToken);
    }
}
