using AnyNet.Testing;
using Xunit;

namespace AnyNet.Conformance.Tests.Testing;

public sealed class ManualTimeProviderTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);
    private static readonly DateTimeOffset s_start = new(2001, 2, 3, 4, 5, 6, TimeSpan.Zero);

    [Fact]
    public void The_clock_starts_where_it_is_told_and_moves_only_when_advanced()
    {
        var clock = new ManualTimeProvider(s_start);
        Assert.Equal(s_start, clock.GetUtcNow());
        Assert.Equal(s_start, clock.GetUtcNow());
        clock.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal(s_start + TimeSpan.FromMinutes(3), clock.GetUtcNow());
        Assert.Equal(TimeSpan.FromMinutes(3), clock.Elapsed);
        Assert.Equal(ManualTimeProvider.DefaultStart, new ManualTimeProvider().GetUtcNow());
    }

    [Fact]
    public void Timestamps_and_elapsed_time_follow_the_clock_exactly()
    {
        var clock = new ManualTimeProvider(s_start);
        long start = clock.GetTimestamp();
        clock.Advance(TimeSpan.FromMilliseconds(1234.5));
        Assert.Equal(TimeSpan.FromMilliseconds(1234.5), clock.GetElapsedTime(start));
        Assert.Equal(TimeSpan.TicksPerSecond, clock.TimestampFrequency);
    }

    [Fact]
    public void The_clock_never_goes_back_and_rejects_negative_moves()
    {
        var clock = new ManualTimeProvider(s_start);
        Assert.Throws<ArgumentOutOfRangeException>(() => clock.Advance(TimeSpan.FromTicks(-1)));
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Throws<ArgumentOutOfRangeException>(() => clock.AdvanceTo(s_start));
        clock.AdvanceTo(s_start + TimeSpan.FromSeconds(5));
        Assert.Equal(s_start + TimeSpan.FromSeconds(5), clock.GetUtcNow());
    }

    [Fact]
    public void Timers_fire_in_due_order_each_seeing_its_own_due_time()
    {
        var clock = new ManualTimeProvider(s_start);
        var fired = new List<(int Seconds, DateTimeOffset Now)>();
        var timers = new[] { 30, 10, 20 }.Select(s => clock.CreateTimer(_ => fired.Add((s, clock.GetUtcNow())), null, TimeSpan.FromSeconds(s), Timeout.InfiniteTimeSpan)).ToList();
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(new[] { 10, 20, 30 }, fired.Select(f => f.Seconds));
        Assert.All(fired, f => Assert.Equal(s_start + TimeSpan.FromSeconds(f.Seconds), f.Now));
        Assert.Equal(s_start + TimeSpan.FromMinutes(1), clock.GetUtcNow());
        timers.ForEach(t => t.Dispose());
    }

    [Fact]
    public void Timers_due_at_the_same_instant_fire_in_the_order_they_were_armed()
    {
        var clock = new ManualTimeProvider(s_start);
        var fired = new List<int>();
        using ITimer a = clock.CreateTimer(_ => fired.Add(1), null, TimeSpan.FromSeconds(5), Timeout.InfiniteTimeSpan);
        using ITimer b = clock.CreateTimer(_ => fired.Add(2), null, TimeSpan.FromSeconds(5), Timeout.InfiniteTimeSpan);
        using ITimer c = clock.CreateTimer(_ => fired.Add(3), null, TimeSpan.FromSeconds(5), Timeout.InfiniteTimeSpan);
        a.Change(TimeSpan.FromSeconds(5), Timeout.InfiniteTimeSpan); // re-arming puts it last
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(new[] { 2, 3, 1 }, fired);
    }

    [Fact]
    public void A_timer_does_not_fire_one_tick_before_its_due_time()
    {
        var clock = new ManualTimeProvider(s_start);
        int fired = 0;
        using ITimer timer = clock.CreateTimer(_ => fired++, null, TimeSpan.FromSeconds(10), Timeout.InfiniteTimeSpan);
        clock.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromTicks(1));
        Assert.Equal(0, fired);
        Assert.Equal(1, clock.ArmedTimerCount);
        clock.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(1, fired);
        Assert.Equal(0, clock.ArmedTimerCount);
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(1, fired);
    }

    [Fact]
    public void A_periodic_timer_fires_once_per_period_passed_at_exact_times()
    {
        var clock = new ManualTimeProvider(s_start);
        var times = new List<TimeSpan>();
        using ITimer timer = clock.CreateTimer(_ => times.Add(clock.Elapsed), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(new[] { 1, 3, 5, 7, 9 }.Select(s => TimeSpan.FromSeconds(s)), times);
        Assert.Equal(s_start + TimeSpan.FromSeconds(11), clock.NextTimerDue);
        timer.Dispose();
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(5, times.Count);
    }

    [Fact]
    public void A_period_of_zero_means_the_timer_fires_once()
    {
        var clock = new ManualTimeProvider(s_start);
        int fired = 0;
        using ITimer timer = clock.CreateTimer(_ => fired++, null, TimeSpan.FromSeconds(1), TimeSpan.Zero);
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, fired);
    }

    [Fact]
    public void Change_reschedules_from_now_disarms_with_infinite_and_fails_after_dispose()
    {
        var clock = new ManualTimeProvider(s_start);
        var times = new List<TimeSpan>();
        ITimer timer = clock.CreateTimer(_ => times.Add(clock.Elapsed), null, TimeSpan.FromSeconds(10), Timeout.InfiniteTimeSpan);
        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.True(timer.Change(TimeSpan.FromSeconds(10), Timeout.InfiniteTimeSpan));
        clock.Advance(TimeSpan.FromSeconds(9));
        Assert.Empty(times);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(new[] { TimeSpan.FromSeconds(14) }, times);

        Assert.True(timer.Change(TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan));
        Assert.True(timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan));
        Assert.Equal(0, clock.ArmedTimerCount);
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Single(times);

        timer.Dispose();
        Assert.False(timer.Change(TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan));
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Single(times);
        Assert.Throws<ArgumentOutOfRangeException>(() => clock.CreateTimer(_ => { }, null, TimeSpan.FromSeconds(-2), Timeout.InfiniteTimeSpan));
    }

    [Fact]
    public async Task A_disposed_timer_never_fires()
    {
        var clock = new ManualTimeProvider(s_start);
        int fired = 0;
        ITimer timer = clock.CreateTimer(_ => fired++, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        await timer.DisposeAsync();
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(0, fired);
        Assert.Equal(0, clock.ArmedTimerCount);
    }

    [Fact]
    public void AdvanceToNextTimer_jumps_exactly_to_the_next_due_time_and_reports_when_there_is_none()
    {
        var clock = new ManualTimeProvider(s_start);
        var fired = new List<int>();
        using ITimer a = clock.CreateTimer(_ => fired.Add(7), null, TimeSpan.FromSeconds(7), Timeout.InfiniteTimeSpan);
        using ITimer b = clock.CreateTimer(_ => fired.Add(3), null, TimeSpan.FromSeconds(3), Timeout.InfiniteTimeSpan);
        using ITimer c = clock.CreateTimer(_ => fired.Add(33), null, TimeSpan.FromSeconds(3), Timeout.InfiniteTimeSpan);
        Assert.True(clock.AdvanceToNextTimer());
        Assert.Equal(TimeSpan.FromSeconds(3), clock.Elapsed);
        Assert.Equal(new[] { 3, 33 }, fired);
        Assert.True(clock.AdvanceToNextTimer());
        Assert.Equal(TimeSpan.FromSeconds(7), clock.Elapsed);
        Assert.False(clock.AdvanceToNextTimer());
        Assert.Equal(TimeSpan.FromSeconds(7), clock.Elapsed);
        Assert.Null(clock.NextTimerDue);
    }

    [Fact]
    public void A_callback_can_arm_a_timer_that_fires_later_in_the_same_advance()
    {
        var clock = new ManualTimeProvider(s_start);
        var times = new List<TimeSpan>();
        ITimer? second = null;
        using ITimer first = clock.CreateTimer(_ =>
        {
            times.Add(clock.Elapsed);
            second = clock.CreateTimer(_ => times.Add(clock.Elapsed), null, TimeSpan.FromSeconds(2), Timeout.InfiniteTimeSpan);
        }, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(new[] { TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3) }, times);
        second?.Dispose();
    }

    [Fact]
    public void An_exception_from_a_callback_comes_out_of_Advance_and_the_clock_stops_at_that_timer()
    {
        var clock = new ManualTimeProvider(s_start);
        int later = 0;
        using ITimer bad = clock.CreateTimer(_ => throw new FormatException("tick"), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        using ITimer good = clock.CreateTimer(_ => later++, null, TimeSpan.FromSeconds(2), Timeout.InfiniteTimeSpan);
        var error = Assert.Throws<FormatException>(() => clock.Advance(TimeSpan.FromSeconds(5)));
        Assert.Equal("tick", error.Message);
        Assert.Equal(TimeSpan.FromSeconds(1), clock.Elapsed);
        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(1, later);
    }

    [Fact]
    public async Task A_timer_due_now_fires_without_the_clock_moving()
    {
        var clock = new ManualTimeProvider(s_start);
        var fired = new TaskCompletionSource<DateTimeOffset>(TaskCreationOptions.RunContinuationsAsynchronously);
        using ITimer timer = clock.CreateTimer(_ => fired.TrySetResult(clock.GetUtcNow()), null, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        Assert.Equal(s_start, await fired.Task.WaitAsync(s_timeout));
    }

    [Fact]
    public async Task Task_Delay_on_the_clock_completes_when_advanced_and_not_before()
    {
        var clock = new ManualTimeProvider(s_start);
        Task delay = Task.Delay(TimeSpan.FromSeconds(30), clock);
        await clock.WaitForArmedTimersAsync(1).WaitAsync(s_timeout);
        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.False(delay.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));
        await delay.WaitAsync(s_timeout);
    }

    [Fact]
    public async Task WaitForArmedTimersAsync_completes_once_enough_timers_are_armed_and_can_be_cancelled()
    {
        var clock = new ManualTimeProvider(s_start);
        Task two = clock.WaitForArmedTimersAsync(2);
        using ITimer a = clock.CreateTimer(_ => { }, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        Assert.False(two.IsCompleted);
        using ITimer b = clock.CreateTimer(_ => { }, null, TimeSpan.FromSeconds(2), Timeout.InfiniteTimeSpan);
        await two.WaitAsync(s_timeout);
        Assert.True(clock.WaitForArmedTimersAsync(1).IsCompletedSuccessfully);

        using var cancel = new CancellationTokenSource();
        Task three = clock.WaitForArmedTimersAsync(3, cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => three.WaitAsync(s_timeout));
    }

    [Fact]
    public async Task Timers_created_and_fired_from_many_threads_fire_exactly_once_each()
    {
        var clock = new ManualTimeProvider(s_start);
        const int Threads = 4;
        const int PerThread = 500;
        int[] fired = new int[Threads * PerThread];
        var timers = new ITimer[Threads * PerThread];
        using var creatorsDone = new CountdownEvent(Threads);
        Task[] creators = Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(() =>
        {
            var random = new Random(t);
            for (int i = 0; i < PerThread; i++)
            {
                int index = (t * PerThread) + i;
                timers[index] = clock.CreateTimer(_ => Interlocked.Increment(ref fired[index]), null, TimeSpan.FromMilliseconds(random.Next(1, 100_000)), Timeout.InfiniteTimeSpan);
            }

            creatorsDone.Signal();
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        Task[] advancers = Enumerable.Range(0, 2).Select(_ => Task.Factory.StartNew(() =>
        {
            // Move the clock in small steps while the timers are being created, from two threads at once.
            while (!creatorsDone.IsSet)
            {
                clock.Advance(TimeSpan.FromMilliseconds(10));
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        await Task.WhenAll(creators.Concat(advancers)).WaitAsync(s_timeout);
        clock.Advance(TimeSpan.FromMilliseconds(100_000));
        Assert.All(fired, count => Assert.Equal(1, count));
        Assert.Equal(0, clock.ArmedTimerCount);
        Array.ForEach(timers, t => t.Dispose());
    }

    [Fact]
    public async Task Auto_advance_on_the_thread_pool_completes_an_hour_sleep_at_once_with_exactly_an_hour_passed()
    {
        var clock = new ManualTimeProvider(s_start) { AutoAdvance = true };
        await Task.Run(async () =>
        {
            await Task.Delay(TimeSpan.FromHours(1), clock);
            await Task.Delay(TimeSpan.FromMinutes(30), clock);
        }).WaitAsync(s_timeout);
        Assert.Equal(TimeSpan.FromMinutes(90), clock.Elapsed);
    }

    [Fact]
    public async Task Turning_auto_advance_on_fires_timers_already_armed()
    {
        var clock = new ManualTimeProvider(s_start);
        Task delay = Task.Delay(TimeSpan.FromDays(2), clock);
        clock.AutoAdvance = true;
        await delay.WaitAsync(s_timeout);
        Assert.Equal(TimeSpan.FromDays(2), clock.Elapsed);
        clock.AutoAdvance = false;
        Task held = Task.Delay(TimeSpan.FromSeconds(1), clock);
        Assert.False(held.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));
        await held.WaitAsync(s_timeout);
    }

    [Fact]
    public async Task A_loop_that_reports_idleness_gets_exact_jumps_even_across_several_yields()
    {
        var clock = new ManualTimeProvider(s_start) { AutoAdvance = true };
        using var loop = new TestLoop(clock);
        var order = new List<(string Name, TimeSpan At)>();
        await loop.RunAsync(async () =>
        {
            async Task Sleeper(string name, int yields, TimeSpan delay)
            {
                for (int i = 0; i < yields; i++)
                {
                    await Task.Yield();
                }

                await Task.Delay(delay, clock);
                order.Add((name, clock.Elapsed));
            }

            // The later sleeps are armed several loop turns after the first: only true idle detection orders them right.
            Task a = Sleeper("2h", 0, TimeSpan.FromHours(2));
            Task b = Sleeper("1h", 3, TimeSpan.FromHours(1));
            Task c = Sleeper("30m", 6, TimeSpan.FromMinutes(30));
            await Task.WhenAll(a, b, c);
        }).WaitAsync(s_timeout);
        Assert.Equal(new[] { ("30m", TimeSpan.FromMinutes(30)), ("1h", TimeSpan.FromHours(1)), ("2h", TimeSpan.FromHours(2)) }, order);
    }

    [Fact]
    public async Task On_a_loop_that_does_not_report_idleness_auto_advance_steps_run_after_the_queued_work()
    {
        var clock = new ManualTimeProvider(s_start) { AutoAdvance = true };
        using var loop = new TestLoop(observer: null);
        var order = new List<(string Name, TimeSpan At, int Thread)>();
        await loop.RunAsync(async () =>
        {
            async Task Sleeper(string name, TimeSpan delay)
            {
                await Task.Delay(delay, clock);
                order.Add((name, clock.Elapsed, Environment.CurrentManagedThreadId));
            }

            // Both sleepers are posted before the first one arms its timer, so the step posted then runs after both.
            var started = new List<Task>();
            SynchronizationContext.Current!.Post(_ => started.Add(Sleeper("2h", TimeSpan.FromHours(2))), null);
            SynchronizationContext.Current!.Post(_ => started.Add(Sleeper("1h", TimeSpan.FromHours(1))), null);
            await Task.Yield();
            await Task.WhenAll(started);
        }).WaitAsync(s_timeout);
        Assert.Equal(new[] { ("1h", TimeSpan.FromHours(1)), ("2h", TimeSpan.FromHours(2)) }, order.Select(o => (o.Name, o.At)));
        Assert.All(order, o => Assert.Equal(loop.ThreadId, o.Thread));
    }

    [Fact]
    public async Task Without_auto_advance_an_idle_loop_does_not_move_the_clock()
    {
        var clock = new ManualTimeProvider(s_start);
        using var loop = new TestLoop(clock);
        await loop.RunAsync(async () =>
        {
            Task delay = Task.Delay(TimeSpan.FromSeconds(1), clock);
            await Task.Yield();
            await Task.Yield();
            Assert.False(((ILoopIdleObserver)clock).OnLoopIdle());
            Assert.False(delay.IsCompleted);
            clock.Advance(TimeSpan.FromSeconds(1));
            await delay;
        }).WaitAsync(s_timeout);
        Assert.Equal(TimeSpan.FromSeconds(1), clock.Elapsed);
    }
}
