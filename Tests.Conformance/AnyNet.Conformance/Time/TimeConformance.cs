using Xunit;

namespace AnyNet.Conformance;

/// <summary>The backend's clock: sleeps, timers and the errors of bad delays.</summary>
public abstract class TimeConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    [SkippableFact]
    public virtual Task A_sleep_lasts_at_least_its_delay_on_the_backend_clock() => RunAsync(async (backend, token) =>
    {
        TimeProvider clock = backend.TimeProvider;
        long start = clock.GetTimestamp();
        await backend.SleepAsync(TimeSpan.FromMilliseconds(50), token);
        TimeSpan slept = clock.GetElapsedTime(start);
        Assert.True(slept >= TimeSpan.FromMilliseconds(50) - EarlyTolerance(backend), $"slept only {slept}");
    });

    [SkippableFact]
    public virtual Task A_zero_sleep_completes() => RunAsync((backend, token) => backend.SleepAsync(TimeSpan.Zero, token));

    [SkippableFact]
    public virtual Task A_negative_delay_is_rejected_with_ArgumentOutOfRangeException() => RunAsync(async (backend, token) =>
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => backend.SleepAsync(TimeSpan.FromSeconds(-1), token));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => backend.MoveOnAfterAsync(TimeSpan.FromSeconds(-1), _ => Task.CompletedTask, token));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => backend.FailAfterAsync(TimeSpan.FromMilliseconds(-5), _ => Task.CompletedTask, token));
    });

    [SkippableFact]
    public virtual Task A_NaN_delay_is_rejected_with_an_ArgumentException() => RunAsync(async (backend, token) =>
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => backend.SleepAsync(TimeSpan.FromSeconds(double.NaN), token));
    });

    [SkippableFact]
    public virtual Task Cancelling_a_sleep_throws_OperationCanceledException() => RunAsync(async (backend, token) =>
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
        Task sleep = backend.SleepAsync(TimeSpan.FromHours(1), cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sleep);
    });

    [SkippableFact]
    public virtual Task Timestamps_never_go_backwards() => RunAsync(async (backend, token) =>
    {
        long previous = backend.TimeProvider.GetTimestamp();
        for (int i = 0; i < 1000; i++)
        {
            long now = backend.TimeProvider.GetTimestamp();
            Assert.True(now >= previous);
            previous = now;
        }

        await backend.SleepAsync(TimeSpan.FromMilliseconds(1), token);
        Assert.True(backend.TimeProvider.GetTimestamp() > previous);
    });

    [SkippableFact]
    public virtual Task A_timer_fires_once_and_a_disposed_timer_never_fires() => RunAsync(async (backend, token) =>
    {
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int disposedFired = 0;
        using ITimer disposed = backend.TimeProvider.CreateTimer(_ => Interlocked.Increment(ref disposedFired), null, TimeSpan.FromMilliseconds(5), Timeout.InfiniteTimeSpan);
        disposed.Dispose();
        using ITimer timer = backend.TimeProvider.CreateTimer(_ => fired.TrySetResult(), null, TimeSpan.FromMilliseconds(20), Timeout.InfiniteTimeSpan);
        await fired.Task.WaitAsync(token);
        Assert.Equal(0, Volatile.Read(ref disposedFired));
    });

    [SkippableFact]
    public virtual Task Timers_never_fire_early_and_a_loop_fires_them_in_deadline_order() => RunAsync(async (backend, token) =>
    {
        var fired = new List<(int DueMs, TimeSpan Elapsed)>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var timers = new List<ITimer>();
        long start = backend.TimeProvider.GetTimestamp();
        foreach (int ms in new[] { 60, 20, 40 })
        {
            timers.Add(backend.TimeProvider.CreateTimer(_ =>
            {
                lock (fired)
                {
                    fired.Add((ms, backend.TimeProvider.GetElapsedTime(start)));
                    if (fired.Count == 3)
                    {
                        done.TrySetResult();
                    }
                }
            }, null, TimeSpan.FromMilliseconds(ms), Timeout.InfiniteTimeSpan));
        }

        await done.Task.WaitAsync(token);
        timers.ForEach(t => t.Dispose());
        TimeSpan tolerance = EarlyTolerance(backend);
        Assert.All(fired, f => Assert.True(f.Elapsed >= TimeSpan.FromMilliseconds(f.DueMs) - tolerance, $"the {f.DueMs} ms timer fired after {f.Elapsed}"));
        if (backend.Capabilities.HasFlag(BackendCapabilities.SingleThreadedLoop))
        {
            // On a thread pool two due timers may run in parallel; a loop runs them one by one from its heap.
            Assert.Equal(new[] { 20, 40, 60 }, fired.Select(f => f.DueMs));
        }
    });

    // The runtime's own timer queue (behind TimeProvider.System) counts a coarse millisecond tick, so its timers can
    // fire a few milliseconds before a Stopwatch says they are due; a loop's timer heap on the monotonic clock can not.
    private static TimeSpan EarlyTolerance(IAsyncBackend backend) =>
        backend.Capabilities.HasFlag(BackendCapabilities.SingleThreadedLoop) ? TimeSpan.FromMilliseconds(1) : TimeSpan.FromMilliseconds(10);
}
