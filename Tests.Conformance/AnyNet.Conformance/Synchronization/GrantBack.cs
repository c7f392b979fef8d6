using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// The grant/cancellation races every primitive that grants something (a lock's ownership, a semaphore unit, a
/// limiter token) must survive, written once. Each primitive's test supplies how to acquire and release; the checks
/// that are the same for all of them are made here, the primitive's own statistics by the caller.
/// </summary>
internal static class GrantBack
{
    /// <summary>How many times the racing scenarios repeat, to meet both interleavings on a thread pool.</summary>
    public const int Rounds = 50;

    /// <summary>
    /// A waiter is granted after its token was cancelled: <paramref name="acquireCancelled"/> waits with a token
    /// whose cancellation first runs <paramref name="release"/> (callbacks run newest first, so before the waiter's
    /// own), so the waiter is still queued and is granted. It must throw and pass the grant to
    /// <paramref name="acquireNext"/> (if given), or back to the primitive.
    /// </summary>
    /// <returns>How many waited when <paramref name="release"/> ran.</returns>
    public static async Task<int> GrantedAfterCancellationAsync(
        Func<CancellationToken, Task> acquireCancelled,
        Func<CancellationToken, Task>? acquireNext,
        Action release,
        Func<int> waitingCount,
        CancellationToken token)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
        int waitingAtGrant = -1;
        await TaskGroup.RunAsync(async group =>
        {
            Task cancelled = await group.StartQueuedAsync(_ => acquireCancelled(cancel.Token), token);
            Task? next = acquireNext is null ? null : await group.StartQueuedAsync(acquireNext, token);
            using (cancel.Token.UnsafeRegister(_ =>
            {
                waitingAtGrant = waitingCount();
                release();
            }, null))
            {
                await cancel.CancelAsync();
            }

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
            if (next is not null)
            {
                await next;
            }
        }, token);
        Assert.Equal(acquireNext is null ? 1 : 2, waitingAtGrant);
        return waitingAtGrant;
    }

    /// <summary>
    /// The release and the cancellation run in one synchronous step. A single-threaded loop resumes the first waiter
    /// only after both, so it must pass the grant on; on a thread pool it may resume in between and keep it. Either
    /// way <paramref name="acquireNext"/> gets it. <paramref name="acquireFirst"/> acquires with the given token and,
    /// if it got the grant, releases it; <paramref name="releaseThen"/> releases the held grant and runs the given
    /// action (the cancellation) right after, in the same step.
    /// </summary>
    public static async Task ReleasedAndCancelledInOneStepAsync(
        IAsyncBackend backend,
        Func<CancellationToken, Task> acquireFirst,
        Func<CancellationToken, Task> acquireNext,
        Func<Action, Task> releaseThen,
        CancellationToken token)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
        bool firstKept = false, firstCancelled = false;
        await TaskGroup.RunAsync(async group =>
        {
            Task first = await group.StartQueuedAsync(async _ =>
            {
                try
                {
                    await acquireFirst(cancel.Token);
                    firstKept = true;
                }
                catch (OperationCanceledException)
                {
                    firstCancelled = true;
                }
            }, token);
            Task next = await group.StartQueuedAsync(acquireNext, token);
            await releaseThen(cancel.Cancel);
            await first;
            await next;
        }, token);
        Assert.True(firstKept ^ firstCancelled);
        if (backend.Capabilities.HasFlag(BackendCapabilities.SingleThreadedLoop))
        {
            Assert.True(firstCancelled, "on a single-threaded loop the waiter resumes after the cancellation, so it must pass the grant on");
        }
    }

    /// <summary>
    /// Cancellations race grants: six tasks acquire forty times each, half of the acquires cancelled after a yield,
    /// while the others release. Whatever the interleaving, nothing is lost or given twice and nobody is left waiting.
    /// <paramref name="acquire"/> returns the action that releases what it acquired.
    /// </summary>
    /// <returns>The most holders seen at once.</returns>
    public static async Task<int> CancellationsRacingGrantsAsync(Func<CancellationToken, Task<Action>> acquire, CancellationToken token)
    {
        const int Tasks = 6, PerTask = 40;
        int inside = 0, maxInside = 0, acquired = 0, cancelled = 0;
        await TaskGroup.RunAsync(group =>
        {
            for (int i = 0; i < Tasks; i++)
            {
                group.Start(async t =>
                {
                    for (int round = 0; round < PerTask; round++)
                    {
                        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(t);
                        Task<Action> acquiring = acquire(cancel.Token);
                        if (round % 2 == 0)
                        {
                            await Task.Yield();
                            await cancel.CancelAsync();
                        }

                        Action release;
                        try
                        {
                            release = await acquiring;
                        }
                        catch (OperationCanceledException) when (!t.IsCancellationRequested)
                        {
                            Interlocked.Increment(ref cancelled);
                            continue;
                        }

                        InterlockedMax(ref maxInside, Interlocked.Increment(ref inside));
                        await Task.Yield();
                        Interlocked.Decrement(ref inside);
                        Interlocked.Increment(ref acquired);
                        release();
                    }
                });
            }

            return Task.CompletedTask;
        }, token);
        Assert.Equal(Tasks * PerTask, acquired + cancelled);
        Assert.True(acquired >= Tasks * PerTask / 2, "every uncancelled acquire must succeed");
        return maxInside;
    }

    private static void InterlockedMax(ref int location, int value)
    {
        int seen = Volatile.Read(ref location);
        while (value > seen)
        {
            int previous = Interlocked.CompareExchange(ref location, value, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }
}
