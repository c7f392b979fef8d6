using Xunit;

namespace AnyNet.Conformance;

/// <summary><see cref="CapacityLimiter"/>: one token per borrower, FIFO, run-time total, no barging, cancellation.</summary>
public abstract class CapacityLimiterConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    [SkippableFact]
    public virtual Task Borrowers_take_tokens_until_none_is_left() => RunAsync(async (backend, token) =>
    {
        var limiter = new CapacityLimiter(2);
        object a = new(), b = new(), c = new();
        await limiter.AcquireOnBehalfOfAsync(a, token);
        Assert.True(limiter.TryAcquireOnBehalfOf(b));
        Assert.Equal(2, limiter.BorrowedTokens);
        Assert.Equal(0, limiter.AvailableTokens);
        Assert.False(limiter.TryAcquireOnBehalfOf(c));
        limiter.ReleaseOnBehalfOf(a);
        Assert.Equal(1, limiter.AvailableTokens);
        Assert.True(limiter.TryAcquireOnBehalfOf(c));
        limiter.ReleaseOnBehalfOf(b);
        limiter.ReleaseOnBehalfOf(c);
        Assert.Equal(0, limiter.BorrowedTokens);
    });

    [SkippableFact]
    public virtual Task Borrowing_twice_throws() => RunAsync(async (backend, token) =>
    {
        var limiter = new CapacityLimiter(5);
        object borrower = new();
        await limiter.AcquireOnBehalfOfAsync(borrower, token);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await limiter.AcquireOnBehalfOfAsync(borrower, token));
        Assert.Throws<InvalidOperationException>(() => limiter.TryAcquireOnBehalfOf(borrower));
        Assert.Equal(1, limiter.BorrowedTokens);

        // The same rule for the current task.
        await limiter.AcquireAsync(token);
        Assert.Equal(2, limiter.BorrowedTokens);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await limiter.AcquireAsync(token));
        Assert.Throws<InvalidOperationException>(() => limiter.TryAcquire());
        Assert.Equal(2, limiter.BorrowedTokens);
        limiter.Release();
        limiter.ReleaseOnBehalfOf(borrower);
        Assert.Equal(0, limiter.BorrowedTokens);
    });

    [SkippableFact]
    public virtual Task A_borrower_waiting_for_a_token_cannot_borrow_again() => RunAsync(async (backend, token) =>
    {
        var limiter = new CapacityLimiter(1);
        object holder = new(), waiter = new();
        await limiter.AcquireOnBehalfOfAsync(holder, token);
        await TaskGroup.RunAsync(async group =>
        {
            Task waiting = await group.StartQueuedAsync(t => limiter.AcquireOnBehalfOfAsync(waiter, t).AsTask(), token);
            Assert.Throws<InvalidOperationException>(() => limiter.TryAcquireOnBehalfOf(waiter));
            limiter.ReleaseOnBehalfOf(holder);
            await waiting;
        }, token);
        Assert.Equal([waiter], limiter.GetStatistics().Borrowers);
        limiter.ReleaseOnBehalfOf(waiter);
    });

    [SkippableFact]
    public virtual Task Releasing_without_a_token_throws() => RunAsync(async (backend, token) =>
    {
        var limiter = new CapacityLimiter(1);
        Assert.Throws<InvalidOperationException>(() => limiter.ReleaseOnBehalfOf(new object()));
        Assert.Throws<InvalidOperationException>(limiter.Release);
        object borrower = new();
        await limiter.AcquireOnBehalfOfAsync(borrower, token);
        limiter.ReleaseOnBehalfOf(borrower);
        Assert.Throws<InvalidOperationException>(() => limiter.ReleaseOnBehalfOf(borrower));
        Assert.Equal(0, limiter.BorrowedTokens);
    });

    [SkippableFact]
    public virtual Task Waiters_get_tokens_in_FIFO_order() => RunAsync(async (backend, token) =>
    {
        var limiter = new CapacityLimiter(1);
        object holder = new();
        var borrowers = Enumerable.Range(0, 5).Select(i => (object)$"borrower {i}").ToArray();
        var order = new List<object>();
        await limiter.AcquireOnBehalfOfAsync(holder, token);
        await TaskGroup.RunAsync(async group =>
        {
            var waiters = new List<Task>();
            foreach (object borrower in borrowers)
            {
                waiters.Add(await group.StartQueuedAsync(async t =>
                {
                    await limiter.AcquireOnBehalfOfAsync(borrower, t);
                    lock (order)
                    {
                        order.Add(borrower);
                    }
                }, token));
            }

            Assert.Equal(5, limiter.GetStatistics().WaitingCount);
            limiter.ReleaseOnBehalfOf(holder);
            for (int i = 0; i < borrowers.Length; i++)
            {
                await waiters[i];
                limiter.ReleaseOnBehalfOf(borrowers[i]);
            }
        }, token);
        Assert.Equal(borrowers, order);
        Assert.Equal(0, limiter.BorrowedTokens);
    });

    [SkippableFact]
    public virtual Task Raising_the_total_wakes_waiters_at_once() => RunAsync(async (backend, token) =>
    {
        var limiter = new CapacityLimiter(1);
        object holder = new(), first = new(), second = new(), third = new();
        await limiter.AcquireOnBehalfOfAsync(holder, token);
        await TaskGroup.RunAsync(async group =>
        {
            Task a = await group.StartQueuedAsync(t => limiter.AcquireOnBehalfOfAsync(first, t).AsTask(), token);
            Task b = await group.StartQueuedAsync(t => limiter.AcquireOnBehalfOfAsync(second, t).AsTask(), token);
            Task c = await group.StartQueuedAsync(t => limiter.AcquireOnBehalfOfAsync(third, t).AsTask(), token);
            limiter.TotalTokens = 3;
            Assert.Equal(3, limiter.BorrowedTokens);
            Assert.Equal(1, limiter.GetStatistics().WaitingCount);
            await Task.WhenAll(a, b);
            Assert.False(c.IsCompleted);
            limiter.ReleaseOnBehalfOf(holder);
            await c;
        }, token);
        Assert.Equal(new HashSet<object> { first, second, third }, limiter.GetStatistics().Borrowers.ToHashSet());
    });

    [SkippableFact]
    public virtual Task Lowering_the_total_takes_no_token_back_but_stops_new_grants() => RunAsync(async (backend, token) =>
    {
        var limiter = new CapacityLimiter(3);
        object a = new(), b = new(), c = new(), d = new();
        Assert.True(limiter.TryAcquireOnBehalfOf(a));
        Assert.True(limiter.TryAcquireOnBehalfOf(b));
        Assert.True(limiter.TryAcquireOnBehalfOf(c));
        limiter.TotalTokens = 1;
        Assert.Equal(3, limiter.BorrowedTokens);
        Assert.Equal(0, limiter.AvailableTokens);
        await TaskGroup.RunAsync(async group =>
        {
            Task waiter = await group.StartQueuedAsync(t => limiter.AcquireOnBehalfOfAsync(d, t).AsTask(), token);
            limiter.ReleaseOnBehalfOf(a);
            limiter.ReleaseOnBehalfOf(b);
            Assert.False(waiter.IsCompleted);
            Assert.Equal(1, limiter.GetStatistics().WaitingCount);
            limiter.ReleaseOnBehalfOf(c);
            await waiter;
        }, token);
        Assert.Equal([d], limiter.GetStatistics().Borrowers);
        Assert.Throws<ArgumentOutOfRangeException>(() => limiter.TotalTokens = -1);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CapacityLimiter(-1));
    });

    [SkippableFact]
    public virtual Task A_limiter_with_zero_tokens_makes_every_acquire_wait_until_tokens_are_raised() => RunAsync(async (backend, token) =>
    {
        // AnyIO 4.12 allows total_tokens = 0: a closed gate that opens when tokens are added.
        var limiter = new CapacityLimiter(0);
        object first = new(), second = new();
        Assert.Equal(0, limiter.TotalTokens);
        Assert.Equal(0, limiter.AvailableTokens);
        Assert.False(limiter.TryAcquireOnBehalfOf(first));
        await TaskGroup.RunAsync(async group =>
        {
            Task a = await group.StartQueuedAsync(t => limiter.AcquireOnBehalfOfAsync(first, t).AsTask(), token);
            Task b = await group.StartQueuedAsync(t => limiter.AcquireOnBehalfOfAsync(second, t).AsTask(), token);
            Assert.Equal(2, limiter.GetStatistics().WaitingCount);
            Assert.False(a.IsCompleted || b.IsCompleted);
            limiter.TotalTokens = 1;
            await a;
            Assert.False(b.IsCompleted);
            Assert.Equal([first], limiter.GetStatistics().Borrowers);

            // Back to zero with a token out: nothing is taken back, and the release grants nobody.
            limiter.TotalTokens = 0;
            limiter.ReleaseOnBehalfOf(first);
            Assert.Equal(1, limiter.GetStatistics().WaitingCount);
            Assert.False(b.IsCompleted);
            limiter.TotalTokens = 1;
            await b;
        }, token);
        Assert.Equal([second], limiter.GetStatistics().Borrowers);
    });

    [SkippableFact]
    public virtual Task A_non_blocking_acquire_never_barges_past_waiters() => RunAsync(async (backend, token) =>
    {
        var limiter = new CapacityLimiter(1);
        object holder = new(), waiter = new(), barger = new();
        await limiter.AcquireOnBehalfOfAsync(holder, token);
        await TaskGroup.RunAsync(async group =>
        {
            Task waiting = await group.StartQueuedAsync(t => limiter.AcquireOnBehalfOfAsync(waiter, t).AsTask(), token);
            limiter.ReleaseOnBehalfOf(holder);

            // The released token already belongs to the waiter, even before it has run.
            Assert.False(limiter.TryAcquireOnBehalfOf(barger));
            Assert.False(limiter.TryAcquire());
            Assert.Equal([waiter], limiter.GetStatistics().Borrowers);
            await waiting;
        }, token);
        limiter.ReleaseOnBehalfOf(waiter);
        Assert.True(limiter.TryAcquireOnBehalfOf(barger));
    });

    [SkippableFact]
    public virtual Task A_cancelled_waiter_leaves_the_queue_and_the_next_waiter_gets_the_token() => RunAsync(async (backend, token) =>
    {
        var limiter = new CapacityLimiter(1);
        object holder = new(), cancelledBorrower = new(), next = new();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
        await limiter.AcquireOnBehalfOfAsync(holder, token);
        await TaskGroup.RunAsync(async group =>
        {
            Task cancelled = await group.StartQueuedAsync(_ => limiter.AcquireOnBehalfOfAsync(cancelledBorrower, cancel.Token).AsTask(), token);
            Task nextWaiter = await group.StartQueuedAsync(t => limiter.AcquireOnBehalfOfAsync(next, t).AsTask(), token);
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
            Assert.Equal(1, limiter.GetStatistics().WaitingCount);
            limiter.ReleaseOnBehalfOf(holder);
            await nextWaiter;
        }, token);
        Assert.Equal([next], limiter.GetStatistics().Borrowers);

        // The cancelled borrower holds nothing and may borrow again later.
        limiter.ReleaseOnBehalfOf(next);
        Assert.True(limiter.TryAcquireOnBehalfOf(cancelledBorrower));
    });

    [SkippableFact]
    public virtual Task A_waiter_granted_a_token_after_its_cancellation_token_was_cancelled_passes_it_to_the_next_waiter() => RunAsync(async (backend, token) =>
    {
        var limiter = new CapacityLimiter(1);
        object holder = new(), cancelledBorrower = new(), next = new();
        await limiter.AcquireOnBehalfOfAsync(holder, token);
        CapacityLimiterStatistics? afterNext = null;
        await GrantBack.GrantedAfterCancellationAsync(
            cancelled => limiter.AcquireOnBehalfOfAsync(cancelledBorrower, cancelled).AsTask(),
            async t =>
            {
                await limiter.AcquireOnBehalfOfAsync(next, t);
                afterNext = limiter.GetStatistics();
            },
            () => limiter.ReleaseOnBehalfOf(holder),
            () => limiter.GetStatistics().WaitingCount,
            token);
        CapacityLimiterStatistics seenByNext = Assert.NotNull(afterNext);
        Assert.Equal([next], seenByNext.Borrowers);
        Assert.Equal(1, seenByNext.BorrowedTokens);
        Assert.Equal(0, seenByNext.WaitingCount);
        Assert.Equal([next], limiter.GetStatistics().Borrowers);
        Assert.Equal(0, limiter.AvailableTokens);

        // The cancelled borrower holds nothing, waits for nothing, and may borrow again.
        Assert.Throws<InvalidOperationException>(() => limiter.ReleaseOnBehalfOf(cancelledBorrower));
        limiter.ReleaseOnBehalfOf(next);
        Assert.True(limiter.TryAcquireOnBehalfOf(cancelledBorrower));
    });

    [SkippableFact]
    public virtual Task A_task_granted_a_token_after_its_cancellation_token_was_cancelled_returns_it_when_nobody_else_waits() => RunAsync(async (backend, token) =>
    {
        var limiter = new CapacityLimiter(1);
        object holder = new();
        await limiter.AcquireOnBehalfOfAsync(holder, token);
        bool afterwardsChecked = false;
        await GrantBack.GrantedAfterCancellationAsync(
            async cancelled =>
            {
                // The short form: the flow that was cancelled must not look like a borrower afterwards.
                try
                {
                    await limiter.AcquireAsync(cancelled);
                }
                finally
                {
                    Assert.Throws<InvalidOperationException>(limiter.Release);
                    await limiter.AcquireAsync(token);
                    limiter.Release();
                    afterwardsChecked = true;
                }
            },
            null,
            () => limiter.ReleaseOnBehalfOf(holder),
            () => limiter.GetStatistics().WaitingCount,
            token);
        Assert.True(afterwardsChecked);
        CapacityLimiterStatistics statistics = limiter.GetStatistics();
        Assert.Equal(0, statistics.BorrowedTokens);
        Assert.Empty(statistics.Borrowers);
        Assert.Equal(0, statistics.WaitingCount);
        Assert.Equal(1, limiter.AvailableTokens);
    });

    [SkippableFact]
    public virtual Task A_waiter_cancelled_as_a_token_is_released_to_it_keeps_it_or_passes_it_on_and_nothing_is_lost() => RunAsync(async (backend, token) =>
    {
        for (int round = 0; round < GrantBack.Rounds; round++)
        {
            var limiter = new CapacityLimiter(1);
            object holder = new(), first = new(), next = new();
            await limiter.AcquireOnBehalfOfAsync(holder, token);
            await GrantBack.ReleasedAndCancelledInOneStepAsync(
                backend,
                async cancelled =>
                {
                    await limiter.AcquireOnBehalfOfAsync(first, cancelled);
                    limiter.ReleaseOnBehalfOf(first);
                },
                t => limiter.AcquireOnBehalfOfAsync(next, t).AsTask(),
                then =>
                {
                    limiter.ReleaseOnBehalfOf(holder);
                    then();
                    return Task.CompletedTask;
                },
                token);
            Assert.Equal([next], limiter.GetStatistics().Borrowers);
            Assert.Equal(0, limiter.GetStatistics().WaitingCount);
            limiter.ReleaseOnBehalfOf(next);
            Assert.Equal(1, limiter.AvailableTokens);
        }
    });

    [SkippableFact]
    public virtual Task Cancellations_racing_grants_never_lose_or_duplicate_a_token() => RunAsync(async (backend, token) =>
    {
        var limiter = new CapacityLimiter(2);
        int maxInside = await GrantBack.CancellationsRacingGrantsAsync(async t =>
        {
            object borrower = new();
            await limiter.AcquireOnBehalfOfAsync(borrower, t);
            return () => limiter.ReleaseOnBehalfOf(borrower);
        }, token);
        Assert.InRange(maxInside, 1, 2);
        CapacityLimiterStatistics statistics = limiter.GetStatistics();
        Assert.Equal(0, statistics.BorrowedTokens);
        Assert.Empty(statistics.Borrowers);
        Assert.Equal(0, statistics.WaitingCount);
    });

    [SkippableFact]
    public virtual Task Tasks_borrow_for_themselves_with_the_short_forms() => RunAsync(async (backend, token) =>
    {
        var limiter = new CapacityLimiter(2);
        int inside = 0;
        int maxInside = 0;
        await TaskGroup.RunAsync(group =>
        {
            for (int i = 0; i < 6; i++)
            {
                group.Start(async t =>
                {
                    for (int round = 0; round < 20; round++)
                    {
                        await limiter.AcquireAsync(t);
                        try
                        {
                            int now = Interlocked.Increment(ref inside);
                            lock (limiter)
                            {
                                maxInside = Math.Max(maxInside, now);
                            }

                            await Task.Yield();
                            Interlocked.Decrement(ref inside);
                        }
                        finally
                        {
                            limiter.Release();
                        }
                    }
                });
            }

            return Task.CompletedTask;
        }, token);
        Assert.InRange(maxInside, 1, 2);
        Assert.Equal(0, limiter.BorrowedTokens);
    });

    [SkippableFact]
    public virtual Task Statistics_report_borrowed_tokens_borrowers_and_waiters() => RunAsync(async (backend, token) =>
    {
        var limiter = new CapacityLimiter(1);
        object a = "a", b = "b";
        CapacityLimiterStatistics empty = limiter.GetStatistics();
        Assert.Equal((0, 1, 0), (empty.BorrowedTokens, empty.TotalTokens, empty.WaitingCount));
        Assert.Empty(empty.Borrowers);
        await limiter.AcquireOnBehalfOfAsync(a, token);
        await TaskGroup.RunAsync(async group =>
        {
            Task waiter = await group.StartQueuedAsync(t => limiter.AcquireOnBehalfOfAsync(b, t).AsTask(), token);
            CapacityLimiterStatistics busy = limiter.GetStatistics();
            Assert.Equal((1, 1, 1), (busy.BorrowedTokens, busy.TotalTokens, busy.WaitingCount));
            Assert.Equal([a], busy.Borrowers);
            limiter.ReleaseOnBehalfOf(a);
            await waiter;
        }, token);
        Assert.Equal([b], limiter.GetStatistics().Borrowers);
        limiter.ReleaseOnBehalfOf(b);
    });
}
