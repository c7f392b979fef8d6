using AnyNet.Testing;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// The test clock: a backend given a <see cref="ManualTimeProvider"/> runs its sleeps, deadlines and timeouts in virtual
/// time, moved by the test (or by auto-advance), never by waiting.
/// </summary>
/// <remarks>Needs <see cref="BackendCapabilities.VirtualTime"/> and a fixture implementing <see cref="IVirtualTimeBackendFixture"/>.</remarks>
public abstract class VirtualTimeConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    private static readonly DateTimeOffset s_start = new(2030, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [SkippableFact]
    public virtual Task The_backend_reads_time_from_the_supplied_clock() => RunWithClockAsync(new ManualTimeProvider(s_start), async (clock, backend, token) =>
    {
        Assert.Equal(s_start, backend.TimeProvider.GetUtcNow());
        long start = backend.TimeProvider.GetTimestamp();
        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(s_start + TimeSpan.FromMinutes(5), backend.TimeProvider.GetUtcNow());
        Assert.Equal(TimeSpan.FromMinutes(5), backend.TimeProvider.GetElapsedTime(start));
        await Task.Yield();
    });

    [SkippableFact]
    public virtual Task A_sleep_completes_when_the_clock_passes_its_delay_and_not_before() => RunWithClockAsync(new ManualTimeProvider(s_start), async (clock, backend, token) =>
    {
        Task sleep = backend.SleepAsync(TimeSpan.FromSeconds(10), token);
        await clock.WaitForArmedTimersAsync(1, token);
        clock.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromTicks(1));
        await Task.Yield();
        Assert.False(sleep.IsCompleted, "the sleep ended before the clock reached its delay");
        clock.Advance(TimeSpan.FromTicks(1));
        await sleep;
        Assert.Equal(s_start + TimeSpan.FromSeconds(10), backend.TimeProvider.GetUtcNow());
    });

    [SkippableFact]
    public virtual Task MoveOnAfter_cuts_the_body_short_when_the_clock_reaches_the_deadline_and_not_before() => RunWithClockAsync(new ManualTimeProvider(s_start), async (clock, backend, token) =>
    {
        Task<bool> moveOn = backend.MoveOnAfterAsync(TimeSpan.FromMinutes(2), t => backend.SleepAsync(Timeout.InfiniteTimeSpan, t), token);
        await clock.WaitForArmedTimersAsync(1, token);
        clock.Advance(TimeSpan.FromSeconds(119));
        await Task.Yield();
        Assert.False(moveOn.IsCompleted, "the deadline fired early");
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await moveOn);
        Assert.Equal(TimeSpan.FromMinutes(2), clock.Elapsed);
    });

    [SkippableFact]
    public virtual Task FailAfter_throws_TimeoutException_only_once_the_clock_reaches_the_deadline() => RunWithClockAsync(new ManualTimeProvider(s_start), async (clock, backend, token) =>
    {
        Task<int> finishes = backend.FailAfterAsync(TimeSpan.FromSeconds(10), async t =>
        {
            await backend.SleepAsync(TimeSpan.FromSeconds(5), t);
            return 5;
        }, token);
        await clock.WaitForArmedTimersAsync(2, token);
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(5, await finishes);
        Assert.Equal(0, clock.ArmedTimerCount);

        Task failing = backend.FailAfterAsync(TimeSpan.FromSeconds(10), t => backend.SleepAsync(TimeSpan.FromHours(1), t), token);
        await clock.WaitForArmedTimersAsync(2, token);
        clock.Advance(TimeSpan.FromSeconds(9));
        await Task.Yield();
        Assert.False(failing.IsCompleted, "FailAfter gave up before its deadline");
        clock.Advance(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<TimeoutException>(() => failing);
        Assert.Equal(TimeSpan.FromSeconds(15), clock.Elapsed);
    });

    [SkippableFact]
    public virtual Task A_cancel_scope_deadline_moved_later_follows_the_clock() => RunWithClockAsync(new ManualTimeProvider(s_start), async (clock, backend, token) =>
    {
        var scope = new CancelScope(backend.TimeProvider) { Deadline = s_start + TimeSpan.FromMinutes(1) };
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task run = scope.RunAsync(t =>
        {
            entered.TrySetResult();
            return backend.SleepAsync(Timeout.InfiniteTimeSpan, t);
        }, token);
        await entered.Task;
        clock.Advance(TimeSpan.FromSeconds(59));
        scope.Deadline = s_start + TimeSpan.FromMinutes(3);
        clock.Advance(TimeSpan.FromMinutes(1));
        await Task.Yield();
        Assert.False(run.IsCompleted, "the old deadline still fired after it was moved later");
        Assert.False(scope.DeadlineReached);
        clock.AdvanceTo(s_start + TimeSpan.FromMinutes(3));
        await run;
        Assert.True(scope.DeadlineReached);
        Assert.True(scope.CancelledCaught);
    });

    [SkippableFact]
    public virtual Task AdvanceToNextTimer_wakes_the_earliest_sleeper_first_at_its_exact_time() => RunWithClockAsync(new ManualTimeProvider(s_start), async (clock, backend, token) =>
    {
        Task early = backend.SleepAsync(TimeSpan.FromSeconds(3), token);
        Task late = backend.SleepAsync(TimeSpan.FromSeconds(7), token);
        await clock.WaitForArmedTimersAsync(2, token);
        Assert.True(clock.AdvanceToNextTimer());
        await early;
        Assert.Equal(TimeSpan.FromSeconds(3), clock.Elapsed);
        Assert.False(late.IsCompleted);
        Assert.True(clock.AdvanceToNextTimer());
        await late;
        Assert.Equal(TimeSpan.FromSeconds(7), clock.Elapsed);
        Assert.False(clock.AdvanceToNextTimer());
        Assert.Equal(TimeSpan.FromSeconds(7), clock.Elapsed);
    });

    [SkippableFact]
    public virtual Task Auto_advance_lets_a_one_hour_sleep_complete_at_once() => RunWithClockAsync(new ManualTimeProvider(s_start) { AutoAdvance = true }, async (clock, backend, token) =>
    {
        await backend.SleepAsync(TimeSpan.FromHours(1), token);
        Assert.Equal(TimeSpan.FromHours(1), clock.Elapsed);
    });

    [SkippableFact]
    public virtual Task Auto_advance_runs_a_sequence_of_sleeps_in_exact_virtual_time() => RunWithClockAsync(new ManualTimeProvider(s_start) { AutoAdvance = true }, async (clock, backend, token) =>
    {
        for (int minute = 1; minute <= 60; minute++)
        {
            await backend.SleepAsync(TimeSpan.FromMinutes(1), token);
            Assert.Equal(TimeSpan.FromMinutes(minute), clock.Elapsed);
        }
    });

    [SkippableFact]
    public virtual Task Auto_advance_fires_the_timeout_around_a_wait_that_would_never_end() => RunWithClockAsync(new ManualTimeProvider(s_start) { AutoAdvance = true }, async (clock, backend, token) =>
    {
        var never = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.True(await backend.MoveOnAfterAsync(TimeSpan.FromHours(1), t => never.Task.WaitAsync(t), token));
        Assert.Equal(TimeSpan.FromHours(1), clock.Elapsed);
        await Assert.ThrowsAsync<TimeoutException>(() => backend.FailAfterAsync(TimeSpan.FromHours(1), t => backend.SleepAsync(TimeSpan.FromHours(2), t), token));
        Assert.Equal(TimeSpan.FromHours(2), clock.Elapsed);
    });

    [SkippableFact]
    public virtual Task On_a_loop_auto_advance_wakes_concurrent_sleepers_in_due_order() => RunWithClockAsync(new ManualTimeProvider(s_start) { AutoAdvance = true }, async (clock, backend, token) =>
    {
        Skip.IfNot(backend.Capabilities.HasFlag(BackendCapabilities.SingleThreadedLoop),
            $"skipped: the '{backend.Name}' backend does not declare SingleThreadedLoop (on a thread pool there is no moment when every task is known to be waiting, so auto-advance may jump before a concurrently starting task arms its timer)");
        var woke = new List<(string Name, TimeSpan At)>();
        await TaskGroup.RunAsync(group =>
        {
            group.Start(async t =>
            {
                await backend.SleepAsync(TimeSpan.FromHours(2), t);
                woke.Add(("2h", clock.Elapsed));
            });
            group.Start(async t =>
            {
                await backend.SleepAsync(TimeSpan.FromHours(1), t);
                woke.Add(("1h", clock.Elapsed));
            });
            return Task.CompletedTask;
        }, token);
        Assert.Equal(new[] { ("1h", TimeSpan.FromHours(1)), ("2h", TimeSpan.FromHours(2)) }, woke);
    });

    /// <summary>
    /// Makes a backend on <paramref name="clock"/> and runs <paramref name="body"/> on it under the hard timeout (in real
    /// time); skips, with the reason, when the backend or the fixture cannot take a clock.
    /// </summary>
    protected async Task RunWithClockAsync(ManualTimeProvider clock, Func<ManualTimeProvider, IAsyncBackend, CancellationToken, Task> body, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(body);
        RequireCapability(BackendCapabilities.VirtualTime, "it runs on a manual test clock");
        Skip.IfNot(Fixture is IVirtualTimeBackendFixture, $"skipped: the fixture {typeof(TFixture).Name} does not implement IVirtualTimeBackendFixture, so it cannot be given a clock.");
        await using IAsyncBackend backend = ((IVirtualTimeBackendFixture)Fixture).CreateBackend(clock);
        await RunOnAsync(backend, (b, token) => body(clock, b, token), timeout);
    }
}
