using Xunit;

namespace AnyNet.Conformance;

/// <summary><see cref="AsyncEvent"/>: set, is-set, wait; a wait on a set event still yields.</summary>
public abstract class EventConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    private const int Rounds = 50;

    [SkippableFact]
    public virtual Task An_event_is_not_set_until_Set_and_then_stays_set() => RunAsync((_, _) =>
    {
        var ev = new AsyncEvent();
        Assert.False(ev.IsSet);
        ev.Set();
        Assert.True(ev.IsSet);
        ev.Set();
        Assert.True(ev.IsSet);
        return Task.CompletedTask;
    });

    [SkippableFact]
    public virtual Task Set_wakes_every_waiter() => RunAsync(async (backend, token) =>
    {
        var ev = new AsyncEvent();
        Task[] waits = [ev.WaitAsync(token), ev.WaitAsync(token), ev.WaitAsync(token)];
        Assert.Equal(3, ev.GetStatistics().WaitingCount);
        Assert.All(waits, w => Assert.False(w.IsCompleted));
        ev.Set();
        await Task.WhenAll(waits);
        Assert.Equal(0, ev.GetStatistics().WaitingCount);
    });

    [SkippableFact]
    public virtual Task A_wait_on_a_set_event_still_yields() => RunAsync(async (backend, token) =>
    {
        var ev = new AsyncEvent();
        ev.Set();

        // A wait that completes inside the call is complete when the call returns, every time. A wait that yields may,
        // on a thread pool, finish before the caller looks, so one look can mislead: look a bounded number of times.
        bool sawPending = false;
        for (int round = 0; round < 100 && !sawPending; round++)
        {
            Task wait = ev.WaitAsync(token);
            sawPending = !wait.IsCompleted;
            await wait;
        }

        Assert.True(sawPending, "the wait on a set event completed synchronously");

        // Awaiting it resumes on the backend's scheduler like any other wait.
        await ev.WaitAsync(token);
    });

    [SkippableFact]
    public virtual Task A_wait_on_a_set_event_lets_other_tasks_run() => RunAsync(async (backend, token) =>
    {
        // On a single-threaded loop a task that waits on a set event in a loop must not starve its siblings.
        Skip.IfNot(backend.Capabilities.HasFlag(BackendCapabilities.SingleThreadedLoop), "only a single-threaded loop can observe starvation deterministically");
        var ev = new AsyncEvent();
        ev.Set();
        bool siblingRan = false;
        await TaskGroup.RunAsync(async group =>
        {
            group.Start(_ =>
            {
                siblingRan = true;
                return Task.CompletedTask;
            });
            await ev.WaitAsync(token);
            Assert.True(siblingRan, "the sibling did not run while the body waited on a set event");
        }, token);
    });

    [SkippableFact]
    public virtual Task A_cancelled_wait_throws_and_leaves_the_event_usable() => RunAsync(async (backend, token) =>
    {
        var ev = new AsyncEvent();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
        Task cancelled = ev.WaitAsync(cancel.Token);
        Task other = ev.WaitAsync(token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(1, ev.GetStatistics().WaitingCount);
        Assert.False(other.IsCompleted);
        ev.Set();
        await other;
    });

    [SkippableFact]
    public virtual Task A_waiter_woken_by_Set_returns_normally_although_its_token_is_cancelled_before_it_resumes() => RunAsync(async (backend, token) =>
    {
        var ev = new AsyncEvent();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
        int waitingAtSet = -1;
        await TaskGroup.RunAsync(async group =>
        {
            Task woken = await group.StartQueuedAsync(t => ev.WaitAsync(cancel.Token), token);

            // Cancellation callbacks run newest first, so Set runs before the waiter's own callback: the waiter is
            // still queued when Set wakes it, and its token is cancelled before it resumes. The grant wins (Trio/AnyIO).
            using (cancel.Token.UnsafeRegister(_ =>
            {
                waitingAtSet = ev.GetStatistics().WaitingCount;
                ev.Set();
            }, null))
            {
                await cancel.CancelAsync();
            }

            await woken;
        }, token);
        Assert.Equal(1, waitingAtSet);
        Assert.Equal(0, ev.GetStatistics().WaitingCount);
    });

    [SkippableFact]
    public virtual Task A_waiter_woken_by_Set_and_cancelled_in_the_same_step_returns_normally() => RunAsync(async (backend, token) =>
    {
        // Set and Cancel in one synchronous step: every waiter was woken before its token fired, so none throws.
        for (int round = 0; round < Rounds; round++)
        {
            var ev = new AsyncEvent();
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
            await TaskGroup.RunAsync(async group =>
            {
                Task first = await group.StartQueuedAsync(_ => ev.WaitAsync(cancel.Token), token);
                Task second = await group.StartQueuedAsync(_ => ev.WaitAsync(cancel.Token), token);
                ev.Set();
                cancel.Cancel();
                await first;
                await second;
            }, token);
        }
    });

    [SkippableFact]
    public virtual Task A_wait_with_an_already_cancelled_token_throws_even_on_a_set_event() => RunAsync(async (_, _) =>
    {
        var ev = new AsyncEvent();
        ev.Set();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ev.WaitAsync(new CancellationToken(canceled: true)));
    });

    [SkippableFact]
    public virtual Task Statistics_count_the_waiters() => RunAsync(async (backend, token) =>
    {
        var ev = new AsyncEvent();
        Assert.Equal(new EventStatistics(0), ev.GetStatistics());
        Task first = ev.WaitAsync(token);
        Assert.Equal(1, ev.GetStatistics().WaitingCount);
        Task second = ev.WaitAsync(token);
        Assert.Equal(2, ev.GetStatistics().WaitingCount);
        ev.Set();
        await Task.WhenAll(first, second);
        Assert.Equal(0, ev.GetStatistics().WaitingCount);
    });
}
