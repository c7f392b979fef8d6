using Xunit;

namespace AnyNet.Conformance;

/// <summary><see cref="AsyncLock"/>: mutual exclusion, FIFO, no re-entrance, owner-checked release, cancellation.</summary>
public abstract class LockConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    [SkippableFact]
    public virtual Task Acquire_takes_the_lock_and_disposing_the_handle_releases_it() => RunAsync(async (backend, token) =>
    {
        var gate = new AsyncLock();
        Assert.False(gate.IsLocked);
        LockHandle handle = await gate.AcquireAsync(token);
        Assert.True(gate.IsLocked);
        Assert.True(handle.IsHeld);
        Assert.True(gate.IsHeldByCurrentFlow);
        Assert.Equal(new LockStatistics(true, handle.Id, 0), gate.GetStatistics());
        handle.Dispose();
        Assert.False(gate.IsLocked);
        Assert.False(handle.IsHeld);
        Assert.False(gate.IsHeldByCurrentFlow);
        handle.Dispose();
        Assert.Equal(new LockStatistics(false, null, 0), gate.GetStatistics());
    });

    [SkippableFact]
    public virtual Task Only_one_task_holds_the_lock_at_a_time() => RunAsync(async (backend, token) =>
    {
        var gate = new AsyncLock();
        int inside = 0;
        int maxInside = 0;
        int total = 0;
        await TaskGroup.RunAsync(group =>
        {
            for (int i = 0; i < 8; i++)
            {
                group.Start(async t =>
                {
                    for (int round = 0; round < 50; round++)
                    {
                        using (await gate.AcquireAsync(t))
                        {
                            int now = Interlocked.Increment(ref inside);
                            if (now > maxInside)
                            {
                                maxInside = now;
                            }

                            await Task.Yield();
                            total++;
                            Interlocked.Decrement(ref inside);
                        }
                    }
                });
            }

            return Task.CompletedTask;
        }, token);
        Assert.Equal(1, maxInside);
        Assert.Equal(8 * 50, total);
        Assert.False(gate.IsLocked);
    });

    [SkippableFact]
    public virtual Task Waiters_get_the_lock_in_FIFO_order() => RunAsync(async (backend, token) =>
    {
        var gate = new AsyncLock();
        var order = new List<int>();
        await TaskGroup.RunAsync(async group =>
        {
            LockHolder holder = await group.HoldInChildAsync(gate, token);
            for (int i = 0; i < 5; i++)
            {
                int id = i;
                await group.StartQueuedAsync(async t =>
                {
                    using (await gate.AcquireAsync(t))
                    {
                        order.Add(id);
                    }
                }, token);
            }

            Assert.Equal(5, gate.GetStatistics().WaitingCount);
            await holder.ReleaseAsync();
        }, token);
        Assert.Equal([0, 1, 2, 3, 4], order);
    });

    [SkippableFact]
    public virtual Task Ownership_passes_straight_to_the_next_waiter() => RunAsync(async (backend, token) =>
    {
        var gate = new AsyncLock();
        TaskCompletionSource<long> waiterId = new(TaskCreationOptions.RunContinuationsAsynchronously);
        TaskCompletionSource finish = SyncTestHelpers.NewSignal();
        LockStatistics afterRelease = default;
        bool bargedIn = true;
        await TaskGroup.RunAsync(async group =>
        {
            LockHolder holder = await group.HoldInChildAsync(gate, token);
            await group.StartQueuedAsync(async t =>
            {
                using LockHandle handle = await gate.AcquireAsync(t);
                waiterId.SetResult(handle.Id);
                await finish.Task.WaitAsync(t);
            }, token);

            // Checked in the same synchronous step as the release: the waiter owns the lock before it has even run.
            await holder.ReleaseAsync(() =>
            {
                afterRelease = gate.GetStatistics();
                bargedIn = gate.TryAcquire(out LockHandle? barger);
                barger?.Dispose();
            });
            Assert.True(afterRelease.IsLocked);
            Assert.NotEqual(holder.Id, afterRelease.OwnerId);
            Assert.Equal(0, afterRelease.WaitingCount);
            Assert.False(bargedIn, "a non-blocking acquire took the lock from the waiter it was handed to");
            Assert.Equal(afterRelease.OwnerId, await waiterId.Task.WaitAsync(token));
            finish.SetResult();
        }, token);
        Assert.False(gate.IsLocked);
    });

    [SkippableFact]
    public virtual Task Re_acquiring_by_the_owner_throws() => RunAsync(async (backend, token) =>
    {
        var gate = new AsyncLock();
        using LockHandle handle = await gate.AcquireAsync(token);
        Assert.Throws<InvalidOperationException>(() => { _ = gate.AcquireAsync(token).AsTask(); });
        Assert.Throws<InvalidOperationException>(() => gate.TryAcquire(out _));

        // Also from a method the owner awaits: the async flow, not the call frame, owns the lock.
        async Task NestedAsync()
        {
            await Task.Yield();
            await gate.AcquireAsync(token);
        }

        await Assert.ThrowsAsync<InvalidOperationException>(NestedAsync);
        Assert.True(handle.IsHeld);
        Assert.Equal(0, gate.GetStatistics().WaitingCount);
    });

    [SkippableFact]
    public virtual Task Release_by_a_non_owner_throws() => RunAsync(async (backend, token) =>
    {
        var gate = new AsyncLock();
        LockHandle stale = await gate.AcquireAsync(token);
        stale.Release();
        Assert.Throws<InvalidOperationException>(stale.Release);

        await TaskGroup.RunAsync(async group =>
        {
            LockHolder holder = await group.HoldInChildAsync(gate, token);

            // The old handle is not the owner: its release is refused and the real owner keeps the lock.
            Assert.Throws<InvalidOperationException>(stale.Release);
            stale.Dispose();
            Assert.True(gate.IsLocked);
            Assert.Equal(holder.Id, gate.GetStatistics().OwnerId);
            Assert.False(gate.IsHeldByCurrentFlow);
            await holder.ReleaseAsync();
        }, token);
        Assert.False(gate.IsLocked);
    });

    [SkippableFact]
    public virtual Task A_child_task_waits_for_a_lock_its_parent_holds() => RunAsync(async (backend, token) =>
    {
        var gate = new AsyncLock();
        bool childGotIt = false;
        await TaskGroup.RunAsync(async group =>
        {
            using (await gate.AcquireAsync(token))
            {
                // The child inherits the parent's async context but is another task: it must wait, not fail as re-entrant.
                Task child = await group.StartQueuedAsync(async t =>
                {
                    using (await gate.AcquireAsync(t))
                    {
                        childGotIt = true;
                    }
                }, token);
                Assert.Equal(1, gate.GetStatistics().WaitingCount);
                Assert.False(child.IsCompleted);
            }
        }, token);
        Assert.True(childGotIt);
    });

    [SkippableFact]
    public virtual Task TryAcquire_succeeds_only_on_a_free_lock() => RunAsync(async (backend, token) =>
    {
        var gate = new AsyncLock();
        await TaskGroup.RunAsync(async group =>
        {
            LockHolder holder = await group.HoldInChildAsync(gate, token);
            Assert.False(gate.TryAcquire(out LockHandle? none));
            Assert.Null(none);
            await holder.ReleaseAsync();
        }, token);
        Assert.True(gate.TryAcquire(out LockHandle? handle));
        Assert.True(handle.IsHeld);
        await handle.DisposeAsync();
        Assert.False(gate.IsLocked);
    });

    [SkippableFact]
    public virtual Task A_cancelled_waiter_leaves_the_queue_and_the_next_waiter_gets_the_lock() => RunAsync(async (backend, token) =>
    {
        var gate = new AsyncLock();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
        bool nextGotIt = false;
        await TaskGroup.RunAsync(async group =>
        {
            LockHolder holder = await group.HoldInChildAsync(gate, token);
            Task cancelled = await group.StartQueuedAsync(async _ => { using (await gate.AcquireAsync(cancel.Token)) { } }, token);
            Task next = await group.StartQueuedAsync(async t =>
            {
                using (await gate.AcquireAsync(t))
                {
                    nextGotIt = true;
                }
            }, token);
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
            Assert.Equal(1, gate.GetStatistics().WaitingCount);
            await holder.ReleaseAsync();
            await next;
        }, token);
        Assert.True(nextGotIt);
        Assert.False(gate.IsLocked);
    });

    [SkippableFact]
    public virtual Task A_waiter_granted_the_lock_after_its_token_was_cancelled_passes_it_to_the_next_waiter() => RunAsync(async (backend, token) =>
    {
        var gate = new AsyncLock();
        Assert.True(gate.TryAcquire(out LockHandle? owner));
        LockStatistics? seenByNext = null;
        await GrantBack.GrantedAfterCancellationAsync(
            async cancelled =>
            {
                using (await gate.AcquireAsync(cancelled))
                {
                    Assert.Fail("The cancelled waiter must not return with the lock.");
                }
            },
            async t =>
            {
                using LockHandle handle = await gate.AcquireAsync(t);
                LockStatistics statistics = gate.GetStatistics();
                Assert.Equal(handle.Id, statistics.OwnerId);
                seenByNext = statistics;
            },
            owner.Dispose,
            () => gate.GetStatistics().WaitingCount,
            token);
        Assert.Equal(0, seenByNext?.WaitingCount);
        Assert.Equal(new LockStatistics(false, null, 0), gate.GetStatistics());
    });

    [SkippableFact]
    public virtual Task A_waiter_granted_the_lock_after_its_token_was_cancelled_leaves_it_free_when_nobody_else_waits() => RunAsync(async (backend, token) =>
    {
        var gate = new AsyncLock();
        Assert.True(gate.TryAcquire(out LockHandle? owner));
        await GrantBack.GrantedAfterCancellationAsync(
            async cancelled =>
            {
                using (await gate.AcquireAsync(cancelled))
                {
                    Assert.Fail("The cancelled waiter must not return with the lock.");
                }
            },
            null,
            owner.Dispose,
            () => gate.GetStatistics().WaitingCount,
            token);
        Assert.Equal(new LockStatistics(false, null, 0), gate.GetStatistics());
        Assert.True(gate.TryAcquire(out LockHandle? again));
        again.Dispose();
    });

    [SkippableFact]
    public virtual Task A_waiter_cancelled_as_the_lock_is_released_to_it_keeps_it_or_passes_it_on_and_nothing_is_lost() => RunAsync(async (backend, token) =>
    {
        for (int round = 0; round < GrantBack.Rounds; round++)
        {
            var gate = new AsyncLock();
            int inside = 0;
            bool nextGotIt = false;
            await TaskGroup.RunAsync(async group =>
            {
                LockHolder holder = await group.HoldInChildAsync(gate, token);
                await GrantBack.ReleasedAndCancelledInOneStepAsync(
                    backend,
                    async cancelled =>
                    {
                        using (await gate.AcquireAsync(cancelled))
                        {
                            Assert.Equal(1, Interlocked.Increment(ref inside));
                            Interlocked.Decrement(ref inside);
                        }
                    },
                    async t =>
                    {
                        using (await gate.AcquireAsync(t))
                        {
                            Assert.Equal(1, Interlocked.Increment(ref inside));
                            nextGotIt = true;
                            Interlocked.Decrement(ref inside);
                        }
                    },
                    then => holder.ReleaseAsync(then),
                    token);
            }, token);
            Assert.True(nextGotIt);
            Assert.Equal(new LockStatistics(false, null, 0), gate.GetStatistics());
        }
    });

    [SkippableFact]
    public virtual Task Cancellations_racing_grants_never_lose_or_duplicate_the_lock() => RunAsync(async (backend, token) =>
    {
        var gate = new AsyncLock();
        int maxInside = await GrantBack.CancellationsRacingGrantsAsync(async t => (await gate.AcquireAsync(t)).Dispose, token);
        Assert.InRange(maxInside, 1, 1);
        Assert.Equal(new LockStatistics(false, null, 0), gate.GetStatistics());
    });

    [SkippableFact]
    public virtual Task An_acquire_with_an_already_cancelled_token_throws_without_taking_the_lock() => RunAsync(async (_, _) =>
    {
        var gate = new AsyncLock();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await gate.AcquireAsync(new CancellationToken(canceled: true)));
        Assert.False(gate.IsLocked);
    });

    [SkippableFact]
    public virtual Task Statistics_report_the_owner_and_the_waiters() => RunAsync(async (backend, token) =>
    {
        var gate = new AsyncLock();
        await TaskGroup.RunAsync(async group =>
        {
            LockHolder holder = await group.HoldInChildAsync(gate, token);
            await group.StartQueuedAsync(async t => { using (await gate.AcquireAsync(t)) { } }, token);
            await group.StartQueuedAsync(async t => { using (await gate.AcquireAsync(t)) { } }, token);
            Assert.Equal(new LockStatistics(true, holder.Id, 2), gate.GetStatistics());
            await holder.ReleaseAsync();
        }, token);
        Assert.Equal(new LockStatistics(false, null, 0), gate.GetStatistics());
    });
}
