using Xunit;

namespace AnyNet.Conformance;

/// <summary><see cref="AsyncCondition"/>: lock required, notify, notify-all, wait-for-predicate, cancellation.</summary>
/// <remarks>Waiters are started before the test body takes the lock, so that no waiter inherits the body's ownership.</remarks>
public abstract class ConditionConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    [SkippableFact]
    public virtual Task Waiting_or_notifying_without_holding_the_lock_throws() => RunAsync(async (backend, token) =>
    {
        var condition = new AsyncCondition();
        Assert.Throws<InvalidOperationException>(() => { _ = condition.WaitAsync(token); });
        Assert.Throws<InvalidOperationException>(() => condition.Notify());
        Assert.Throws<InvalidOperationException>(condition.NotifyAll);
        await Assert.ThrowsAsync<InvalidOperationException>(() => condition.WaitForAsync(() => true, token));
        Assert.False(condition.Lock.IsLocked);
        Assert.Equal(0, condition.GetStatistics().WaitingCount);
    });

    [SkippableFact]
    public virtual Task Wait_releases_the_lock_and_holds_it_again_when_it_returns() => RunAsync(async (backend, token) =>
    {
        var condition = new AsyncCondition();
        bool heldAfterWait = false;
        bool sameHandle = false;
        await TaskGroup.RunAsync(async group =>
        {
            Task waiter = await StartWaiterAsync(group, condition, async (wait, handle) =>
            {
                await wait;
                heldAfterWait = condition.Lock.IsHeldByCurrentFlow && handle.IsHeld;
                sameHandle = condition.Lock.GetStatistics().OwnerId == handle.Id;
            }, token);

            // The waiter released the lock while it waits: the body can take it.
            Assert.False(condition.Lock.IsLocked);
            using (await condition.AcquireAsync(token))
            {
                condition.Notify();
            }

            await waiter;
        }, token);
        Assert.True(heldAfterWait, "the wait returned without the lock held again");
        Assert.True(sameHandle, "the wait returned holding the lock through another handle than the caller's");
        Assert.False(condition.Lock.IsLocked);
    });

    [SkippableFact]
    public virtual Task Notify_wakes_one_waiter_at_a_time_in_FIFO_order() => RunAsync(async (backend, token) =>
    {
        var condition = new AsyncCondition();
        var order = new List<int>();
        await TaskGroup.RunAsync(async group =>
        {
            var waiters = new List<Task>();
            for (int i = 0; i < 4; i++)
            {
                int id = i;
                waiters.Add(await StartWaiterAsync(group, condition, async (wait, _) =>
                {
                    await wait;
                    order.Add(id);
                }, token));
            }

            Assert.Equal(4, condition.GetStatistics().WaitingCount);
            for (int i = 0; i < 4; i++)
            {
                using (await condition.AcquireAsync(token))
                {
                    condition.Notify();
                    Assert.Equal(3 - i, condition.GetStatistics().WaitingCount);
                }

                await waiters[i];
            }
        }, token);
        Assert.Equal([0, 1, 2, 3], order);
    });

    [SkippableFact]
    public virtual Task Notify_with_a_count_wakes_that_many_and_notify_all_wakes_the_rest() => RunAsync(async (backend, token) =>
    {
        var condition = new AsyncCondition();
        await TaskGroup.RunAsync(async group =>
        {
            var waiters = new List<Task>();
            for (int i = 0; i < 5; i++)
            {
                waiters.Add(await StartWaiterAsync(group, condition, (wait, _) => wait, token));
            }

            using (await condition.AcquireAsync(token))
            {
                condition.Notify(2);
                Assert.Equal(3, condition.GetStatistics().WaitingCount);
            }

            await Task.WhenAll(waiters[0], waiters[1]);
            Assert.All(waiters.Skip(2), w => Assert.False(w.IsCompleted));
            using (await condition.AcquireAsync(token))
            {
                condition.NotifyAll();
                Assert.Equal(0, condition.GetStatistics().WaitingCount);
            }

            await Task.WhenAll(waiters);
        }, token);
    });

    [SkippableFact]
    public virtual Task A_notification_with_no_waiter_is_not_remembered() => RunAsync(async (backend, token) =>
    {
        var condition = new AsyncCondition();
        using (await condition.AcquireAsync(token))
        {
            condition.Notify();
            condition.NotifyAll();
        }

        await TaskGroup.RunAsync(async group =>
        {
            Task waiter = await StartWaiterAsync(group, condition, (wait, _) => wait, token);
            Assert.False(waiter.IsCompleted);
            Assert.Equal(1, condition.GetStatistics().WaitingCount);
            using (await condition.AcquireAsync(token))
            {
                condition.Notify();
            }

            await waiter;
        }, token);
    });

    [SkippableFact]
    public virtual Task Wait_for_returns_once_the_predicate_holds() => RunAsync(async (backend, token) =>
    {
        var condition = new AsyncCondition();
        int value = 0;
        int seen = -1;
        await TaskGroup.RunAsync(async group =>
        {
            TaskCompletionSource waiting = SyncTestHelpers.NewSignal();
            Task waiter = await group.StartQueuedAsync(async t =>
            {
                using (await condition.AcquireAsync(t))
                {
                    await condition.WaitForAsync(() =>
                    {
                        waiting.TrySetResult();
                        return value >= 3;
                    }, t);
                    seen = value;
                }
            }, token);
            for (int i = 1; i <= 3; i++)
            {
                await waiting.Task.WaitAsync(token);
                waiting = SyncTestHelpers.NewSignal();
                using (await condition.AcquireAsync(token))
                {
                    value = i;
                    condition.NotifyAll();
                }
            }

            await waiter;
        }, token);
        Assert.Equal(3, seen);
    });

    [SkippableFact]
    public virtual Task A_cancelled_wait_holds_the_lock_again_before_it_throws() => RunAsync(async (backend, token) =>
    {
        var condition = new AsyncCondition();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
        bool heldWhenThrown = false;
        await TaskGroup.RunAsync(async group =>
        {
            LockHolder? holder = null;
            Task waiter = await StartWaiterAsync(group, condition, async (wait, handle) =>
            {
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
                heldWhenThrown = handle.IsHeld && condition.Lock.IsHeldByCurrentFlow;
            }, token, cancel.Token);

            // Cancel while another task holds the lock: the wait must not throw until it got the lock back.
            holder = await group.HoldInChildAsync(condition.Lock, token);
            await cancel.CancelAsync();
            Assert.Equal(0, condition.GetStatistics().WaitingCount);
            Assert.False(waiter.IsCompleted);
            await holder.ReleaseAsync();
            await waiter;
        }, token);
        Assert.True(heldWhenThrown, "the cancelled wait threw without holding the lock");
        Assert.False(condition.Lock.IsLocked);
    });

    [SkippableFact]
    public virtual Task A_notified_waiter_that_is_then_cancelled_passes_the_notification_on() => RunAsync(async (backend, token) =>
    {
        var condition = new AsyncCondition();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
        bool firstCancelled = false;
        await TaskGroup.RunAsync(async group =>
        {
            Task first = await StartWaiterAsync(group, condition, async (wait, _) =>
            {
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
                firstCancelled = true;
            }, token, cancel.Token);
            Task second = await StartWaiterAsync(group, condition, (wait, _) => wait, token);

            using (await condition.AcquireAsync(token))
            {
                condition.Notify();
                Assert.Equal(1, condition.GetStatistics().WaitingCount);

                // The first waiter is notified but cannot return before this block releases the lock.
                await cancel.CancelAsync();
            }

            await first;
            await second;
        }, token);
        Assert.True(firstCancelled);
        Assert.Equal(0, condition.GetStatistics().WaitingCount);
    });

    [SkippableFact]
    public virtual Task Statistics_report_the_waiters_and_the_lock() => RunAsync(async (backend, token) =>
    {
        var condition = new AsyncCondition(new AsyncLock());
        Assert.Equal(new ConditionStatistics(0, new LockStatistics(false, null, 0)), condition.GetStatistics());
        await TaskGroup.RunAsync(async group =>
        {
            Task a = await StartWaiterAsync(group, condition, (wait, _) => wait, token);
            Task b = await StartWaiterAsync(group, condition, (wait, _) => wait, token);
            using (LockHandle handle = await condition.AcquireAsync(token))
            {
                Assert.Equal(new ConditionStatistics(2, new LockStatistics(true, handle.Id, 0)), condition.GetStatistics());
                condition.NotifyAll();
            }

            await Task.WhenAll(a, b);
        }, token);
        Assert.Equal(new ConditionStatistics(0, new LockStatistics(false, null, 0)), condition.GetStatistics());
    });

    /// <summary>
    /// Starts a child that takes the lock and calls <see cref="AsyncCondition.WaitAsync"/>; returns once the child is
    /// queued on the condition. <paramref name="then"/> gets the pending wait and the child's lock handle.
    /// </summary>
    private static async Task<Task> StartWaiterAsync(
        TaskGroup group,
        AsyncCondition condition,
        Func<Task, LockHandle, Task> then,
        CancellationToken token,
        CancellationToken waitToken = default)
    {
        TaskCompletionSource queued = SyncTestHelpers.NewSignal();
        TaskCompletionSource done = SyncTestHelpers.NewSignal();
        group.Start(async t =>
        {
            try
            {
                using LockHandle handle = await condition.AcquireAsync(t);
                Task wait = condition.WaitAsync(waitToken.CanBeCanceled ? waitToken : t);
                queued.SetResult();
                await then(wait, handle);
                done.SetResult();
            }
            catch (Exception error)
            {
                queued.TrySetException(error);
                done.SetException(error);
            }
        });
        await queued.Task.WaitAsync(token);
        return done.Task.WaitAsync(token);
    }
}
