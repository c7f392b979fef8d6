using Xunit;

namespace AnyNet.Conformance;

/// <summary><see cref="AsyncSemaphore"/>: initial and max value, FIFO, hand-off on release, cancellation.</summary>
public abstract class SemaphoreConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    private const int Rounds = 50;

    [SkippableFact]
    public virtual Task Acquire_takes_units_until_none_is_left() => RunAsync(async (backend, token) =>
    {
        var semaphore = new AsyncSemaphore(2);
        await semaphore.AcquireAsync(token);
        await semaphore.AcquireAsync(token);
        Assert.Equal(0, semaphore.CurrentValue);
        Assert.False(semaphore.TryAcquire());
        await TaskGroup.RunAsync(async group =>
        {
            Task third = await group.StartQueuedAsync(t => semaphore.AcquireAsync(t).AsTask(), token);
            Assert.False(third.IsCompleted);
            Assert.Equal(1, semaphore.GetStatistics().WaitingCount);
            semaphore.Release();
            await third;
        }, token);
        Assert.Equal(0, semaphore.CurrentValue);
        semaphore.Release();
        semaphore.Release();
        Assert.Equal(2, semaphore.CurrentValue);
        Assert.True(semaphore.TryAcquire());
        Assert.Equal(1, semaphore.CurrentValue);
    });

    [SkippableFact]
    public virtual Task Waiters_get_units_in_FIFO_order() => RunAsync(async (backend, token) =>
    {
        var semaphore = new AsyncSemaphore(0);
        var order = new List<int>();
        await TaskGroup.RunAsync(async group =>
        {
            var waiters = new List<Task>();
            for (int i = 0; i < 5; i++)
            {
                int id = i;
                waiters.Add(await group.StartQueuedAsync(async t =>
                {
                    await semaphore.AcquireAsync(t);
                    lock (order)
                    {
                        order.Add(id);
                    }
                }, token));
            }

            // One unit at a time, so that each wake-up is observed before the next.
            for (int i = 0; i < 5; i++)
            {
                semaphore.Release();
                await waiters[i];
            }
        }, token);
        Assert.Equal([0, 1, 2, 3, 4], order);
    });

    [SkippableFact]
    public virtual Task Release_hands_the_unit_straight_to_the_first_waiter() => RunAsync(async (backend, token) =>
    {
        var semaphore = new AsyncSemaphore(0, maxValue: 1);
        await TaskGroup.RunAsync(async group =>
        {
            Task waiter = await group.StartQueuedAsync(t => semaphore.AcquireAsync(t).AsTask(), token);
            semaphore.Release();
            Assert.Equal(0, semaphore.CurrentValue);
            Assert.Equal(0, semaphore.GetStatistics().WaitingCount);
            Assert.False(semaphore.TryAcquire(), "a non-blocking acquire took the unit handed to the waiter");
            await waiter;
        }, token);
        Assert.Equal(0, semaphore.CurrentValue);
    });

    [SkippableFact]
    public virtual Task Releasing_above_the_max_value_throws() => RunAsync((backend, token) =>
    {
        var semaphore = new AsyncSemaphore(1, maxValue: 2);
        semaphore.Release();
        Assert.Equal(2, semaphore.CurrentValue);
        Assert.Throws<SemaphoreFullException>(semaphore.Release);
        Assert.Equal(2, semaphore.CurrentValue);
        Assert.Equal(2, semaphore.MaxValue);

        var unbounded = new AsyncSemaphore(0);
        for (int i = 0; i < 100; i++)
        {
            unbounded.Release();
        }

        Assert.Equal(100, unbounded.CurrentValue);
        Assert.Null(unbounded.MaxValue);
        return Task.CompletedTask;
    });

    [SkippableFact]
    public virtual Task Invalid_initial_and_max_values_are_refused() => RunAsync((backend, token) =>
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AsyncSemaphore(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AsyncSemaphore(3, maxValue: 2));
        return Task.CompletedTask;
    });

    [SkippableFact]
    public virtual Task A_cancelled_waiter_leaves_the_queue_and_the_next_waiter_gets_the_unit() => RunAsync(async (backend, token) =>
    {
        var semaphore = new AsyncSemaphore(0);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
        await TaskGroup.RunAsync(async group =>
        {
            Task cancelled = await group.StartQueuedAsync(_ => semaphore.AcquireAsync(cancel.Token).AsTask(), token);
            Task next = await group.StartQueuedAsync(t => semaphore.AcquireAsync(t).AsTask(), token);
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
            Assert.Equal(1, semaphore.GetStatistics().WaitingCount);
            semaphore.Release();
            await next;
        }, token);
        Assert.Equal(0, semaphore.CurrentValue);
        Assert.Equal(0, semaphore.GetStatistics().WaitingCount);
    });

    [SkippableFact]
    public virtual Task A_waiter_cancelled_after_the_grant_keeps_the_unit_and_nothing_is_lost() => RunAsync(async (backend, token) =>
    {
        // Repeated: on a thread-pool backend the continuation may race the cancellation, so one round could miss a bug.
        for (int round = 0; round < Rounds; round++)
        {
            var semaphore = new AsyncSemaphore(0, maxValue: 1);
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
            await TaskGroup.RunAsync(async group =>
            {
                Task granted = await group.StartQueuedAsync(_ => semaphore.AcquireAsync(cancel.Token).AsTask(), token);
                semaphore.Release();
                await cancel.CancelAsync();
                await granted;
            }, token);

            // The waiter owns the unit; when it gives it back, the count is whole again.
            Assert.Equal(0, semaphore.CurrentValue);
            semaphore.Release();
            Assert.Equal(1, semaphore.CurrentValue);
        }
    });

    [SkippableFact]
    public virtual Task An_acquire_with_an_already_cancelled_token_throws_without_taking_a_unit() => RunAsync(async (backend, token) =>
    {
        var semaphore = new AsyncSemaphore(1);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await semaphore.AcquireAsync(new CancellationToken(canceled: true)));
        Assert.Equal(1, semaphore.CurrentValue);
    });

    [SkippableFact]
    public virtual Task Statistics_report_the_value_and_the_waiters() => RunAsync(async (backend, token) =>
    {
        var semaphore = new AsyncSemaphore(1, maxValue: 3);
        Assert.Equal(new SemaphoreStatistics(1, 3, 0), semaphore.GetStatistics());
        await semaphore.AcquireAsync(token);
        await TaskGroup.RunAsync(async group =>
        {
            await group.StartQueuedAsync(t => semaphore.AcquireAsync(t).AsTask(), token);
            await group.StartQueuedAsync(t => semaphore.AcquireAsync(t).AsTask(), token);
            Assert.Equal(new SemaphoreStatistics(0, 3, 2), semaphore.GetStatistics());
            semaphore.Release();
            semaphore.Release();
        }, token);
        Assert.Equal(new SemaphoreStatistics(0, 3, 0), semaphore.GetStatistics());
    });
}
