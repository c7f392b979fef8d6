using Xunit;

namespace AnyNet.Conformance;

/// <summary><see cref="AsyncSemaphore"/>: initial and max value, FIFO, hand-off on release, cancellation.</summary>
public abstract class SemaphoreConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
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
    public virtual Task A_waiter_granted_a_unit_after_its_token_was_cancelled_passes_it_to_the_next_waiter() => RunAsync(async (backend, token) =>
    {
        var semaphore = new AsyncSemaphore(0, maxValue: 1);
        SemaphoreStatistics? afterNext = null;
        await GrantBack.GrantedAfterCancellationAsync(
            cancelled => semaphore.AcquireAsync(cancelled).AsTask(),
            async t =>
            {
                await semaphore.AcquireAsync(t);
                afterNext = semaphore.GetStatistics();
            },
            semaphore.Release,
            () => semaphore.GetStatistics().WaitingCount,
            token);
        Assert.Equal(new SemaphoreStatistics(0, 1, 0), afterNext);
        Assert.Equal(new SemaphoreStatistics(0, 1, 0), semaphore.GetStatistics());
        semaphore.Release();
        Assert.Equal(1, semaphore.CurrentValue);
    });

    [SkippableFact]
    public virtual Task A_waiter_granted_a_unit_after_its_token_was_cancelled_returns_it_to_the_semaphore_when_nobody_else_waits() => RunAsync(async (backend, token) =>
    {
        var semaphore = new AsyncSemaphore(0, maxValue: 1);
        await GrantBack.GrantedAfterCancellationAsync(
            cancelled => semaphore.AcquireAsync(cancelled).AsTask(),
            null,
            semaphore.Release,
            () => semaphore.GetStatistics().WaitingCount,
            token);
        Assert.Equal(new SemaphoreStatistics(1, 1, 0), semaphore.GetStatistics());
        Assert.Throws<SemaphoreFullException>(semaphore.Release);
    });

    [SkippableFact]
    public virtual Task A_waiter_giving_back_a_unit_to_a_full_semaphore_still_throws_its_cancellation() => RunAsync(async (backend, token) =>
    {
        // Two releases for one waiter: the first grants it, the second fills the semaphore, so the unit the cancelled
        // waiter gives back has no room. The waiter reports its cancellation, not the surplus release.
        var semaphore = new AsyncSemaphore(0, maxValue: 1);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
        await TaskGroup.RunAsync(async group =>
        {
            Task cancelled = await group.StartQueuedAsync(_ => semaphore.AcquireAsync(cancel.Token).AsTask(), token);
            using (cancel.Token.UnsafeRegister(_ =>
            {
                semaphore.Release();
                semaphore.Release();
            }, null))
            {
                await cancel.CancelAsync();
            }

            Exception error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
            Assert.IsNotType<SemaphoreFullException>(error.InnerException);
        }, token);
        Assert.Equal(new SemaphoreStatistics(1, 1, 0), semaphore.GetStatistics());
    });

    [SkippableFact]
    public virtual Task A_waiter_cancelled_as_a_unit_is_released_to_it_keeps_it_or_passes_it_on_and_nothing_is_lost() => RunAsync(async (backend, token) =>
    {
        for (int round = 0; round < GrantBack.Rounds; round++)
        {
            var semaphore = new AsyncSemaphore(0, maxValue: 1);
            await GrantBack.ReleasedAndCancelledInOneStepAsync(
                backend,
                async cancelled =>
                {
                    await semaphore.AcquireAsync(cancelled);
                    semaphore.Release();
                },
                t => semaphore.AcquireAsync(t).AsTask(),
                then =>
                {
                    semaphore.Release();
                    then();
                    return Task.CompletedTask;
                },
                token);
            Assert.Equal(new SemaphoreStatistics(0, 1, 0), semaphore.GetStatistics());
            semaphore.Release();
            Assert.Equal(1, semaphore.CurrentValue);
        }
    });

    [SkippableFact]
    public virtual Task Cancellations_racing_grants_never_lose_or_duplicate_a_unit() => RunAsync(async (backend, token) =>
    {
        var semaphore = new AsyncSemaphore(2, maxValue: 2);
        int maxInside = await GrantBack.CancellationsRacingGrantsAsync(async t =>
        {
            await semaphore.AcquireAsync(t);
            return semaphore.Release;
        }, token);
        Assert.InRange(maxInside, 1, 2);
        Assert.Equal(new SemaphoreStatistics(2, 2, 0), semaphore.GetStatistics());
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
