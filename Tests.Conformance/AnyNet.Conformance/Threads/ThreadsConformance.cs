using System.Runtime.CompilerServices;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// Running blocking work on threads: off the backend and back to the caller's context, results and exceptions,
/// capacity limiters, the two cancellation modes, and the way back in through a portal.
/// </summary>
public abstract class ThreadsConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    private static readonly AsyncLocal<string?> s_flowValue = new();

    [SkippableFact]
    public virtual Task The_work_runs_on_another_thread_and_the_await_resumes_on_the_callers_context() => RunAsync(async (backend, token) =>
    {
        int caller = Environment.CurrentManagedThreadId;
        SynchronizationContext? context = SynchronizationContext.Current;
        (int Thread, bool HadContext) worker = await Threads.RunOnThreadAsync(() => (Environment.CurrentManagedThreadId, SynchronizationContext.Current is not null), cancellationToken: token);
        Assert.NotEqual(caller, worker.Thread);
        Assert.False(worker.HadContext, "the work ran under a synchronization context");
        Assert.Same(context, SynchronizationContext.Current);
        if (backend.Capabilities.HasFlag(BackendCapabilities.SingleThreadedLoop))
        {
            Assert.Equal(caller, Environment.CurrentManagedThreadId);
        }
    });

    [SkippableFact]
    public virtual Task The_result_and_the_callers_async_local_values_cross_to_the_thread_and_back() => RunAsync(async (backend, token) =>
    {
        s_flowValue.Value = "from the caller";
        string? seen = await Threads.RunOnThreadAsync(() => s_flowValue.Value, cancellationToken: token);
        Assert.Equal("from the caller", seen);
        Assert.Equal(42, await Threads.RunOnThreadAsync(t => 40 + 2, cancellationToken: token));
        int sideEffect = 0;
        await Threads.RunOnThreadAsync(() => { sideEffect = 1; }, cancellationToken: token);
        Assert.Equal(1, sideEffect);
    });

    [SkippableFact]
    public virtual Task An_exception_of_the_work_reaches_the_caller_intact() => RunAsync(async (backend, token) =>
    {
        var thrown = new StrongBox<Exception?>();
        var error = await Assert.ThrowsAsync<FormatException>(() => Threads.RunOnThreadAsync<int>(() => ThrowFromThreadWork("bad number", thrown), cancellationToken: token));
        Assert.Same(thrown.Value, error);
        Assert.Equal("bad number", error.Message);
        Assert.Contains(nameof(ThrowFromThreadWork), error.StackTrace, StringComparison.Ordinal);
    });

    [SkippableFact]
    public virtual Task A_capacity_limiter_bounds_how_many_works_run_at_once() => RunAsync(async (backend, token) =>
    {
        var limiter = new CapacityLimiter(2);
        using var gate = new ManualResetEventSlim(false);
        var twoRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int running = 0;
        int maxRunning = 0;
        int finished = 0;
        await TaskGroup.RunAsync(async group =>
        {
            for (int i = 0; i < 6; i++)
            {
                group.Start(t => Threads.RunOnThreadAsync(() =>
                {
                    int now = Interlocked.Increment(ref running);
                    InterlockedMax(ref maxRunning, now);
                    if (now == 2)
                    {
                        twoRunning.TrySetResult();
                    }

                    Assert.True(gate.Wait(DefaultTimeout), "the gate was never opened");
                    Interlocked.Decrement(ref running);
                    Interlocked.Increment(ref finished);
                }, limiter, cancellationToken: t));
            }

            await twoRunning.Task.WaitAsync(group.Token);
            Assert.Equal(2, limiter.BorrowedTokens);
            Assert.Equal(0, Volatile.Read(ref finished));
            gate.Set();
        }, token);
        Assert.Equal(6, finished);
        Assert.Equal(2, maxRunning);
        Assert.Equal(0, limiter.BorrowedTokens);
    });

    [SkippableFact]
    public virtual Task Without_a_limiter_the_default_one_of_40_tokens_is_used() => RunAsync(async (backend, token) =>
    {
        Assert.Equal(40, Threads.DefaultThreadLimit);
        Assert.Equal(Threads.DefaultThreadLimit, Threads.DefaultLimiter.TotalTokens);
        int borrowedDuringWork = await Threads.RunOnThreadAsync(() => Threads.DefaultLimiter.BorrowedTokens, cancellationToken: token);
        Assert.True(borrowedDuringWork >= 1, "the work ran without holding a token of the default limiter");
    });

    [SkippableFact]
    public virtual Task A_cancelled_caller_waits_for_the_thread_to_finish_by_default() => RunAsync(async (backend, token) =>
    {
        var limiter = new CapacityLimiter(1);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
        using var release = new ManualResetEventSlim(false);
        var workSawCancel = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<int> call = Threads.RunOnThreadAsync(t =>
        {
            entered.TrySetResult();
            if (t.WaitHandle.WaitOne(DefaultTimeout))
            {
                workSawCancel.TrySetResult();
            }

            Assert.True(release.Wait(DefaultTimeout, CancellationToken.None), "the work was never released");
            return 5;
        }, limiter, cancellationToken: cancel.Token);
        await entered.Task;
        await cancel.CancelAsync();
        await workSawCancel.Task;
        await Task.Yield();
        Assert.False(call.IsCompleted, "the caller stopped waiting although the thread is still running");
        Assert.Equal(1, limiter.BorrowedTokens);
        release.Set();
        Assert.Equal(5, await call);
        Assert.Equal(0, limiter.BorrowedTokens);
    });

    [SkippableFact]
    public virtual Task With_abandonOnCancel_a_cancelled_caller_returns_at_once_and_the_thread_finishes_alone() => RunAsync(async (backend, token) =>
    {
        var limiter = new CapacityLimiter(1);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
        using var release = new ManualResetEventSlim(false);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<int> call = Threads.RunOnThreadAsync<int>(_ =>
        {
            entered.TrySetResult();
            Assert.True(release.Wait(DefaultTimeout, CancellationToken.None), "the work was never released");
            finished.TrySetResult();
            throw new InvalidOperationException("an abandoned failure nobody sees");
        }, limiter, abandonOnCancel: true, cancellationToken: cancel.Token);
        await entered.Task;
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.False(finished.Task.IsCompleted, "the caller waited for the thread");

        // The abandoned thread keeps its token until it really ends: the next borrower gets it only then.
        var next = new object();
        Task acquired = limiter.AcquireOnBehalfOfAsync(next, token).AsTask();
        Assert.False(acquired.IsCompleted);
        release.Set();
        await finished.Task;
        await acquired;
        limiter.ReleaseOnBehalfOf(next);
    });

    [SkippableFact]
    public virtual Task An_already_cancelled_token_throws_before_the_work_runs() => RunAsync(async (backend, token) =>
    {
        bool ran = false;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Threads.RunOnThreadAsync(() => { ran = true; }, cancellationToken: new CancellationToken(true)));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Threads.RunOnThreadAsync(() => { ran = true; }, abandonOnCancel: true, cancellationToken: new CancellationToken(true)));
        Assert.False(ran);
    });

    [SkippableFact]
    public virtual Task Cancelled_while_waiting_for_the_limiter_the_work_never_runs() => RunAsync(async (backend, token) =>
    {
        var limiter = new CapacityLimiter(1);
        var holder = new object();
        await limiter.AcquireOnBehalfOfAsync(holder, token);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
        bool ran = false;
        Task call = Threads.RunOnThreadAsync(() => { ran = true; }, limiter, cancellationToken: cancel.Token);
        Assert.False(call.IsCompleted);
        Assert.Equal(1, limiter.GetStatistics().WaitingCount);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        limiter.ReleaseOnBehalfOf(holder);
        Assert.False(ran);
        Assert.Equal(0, limiter.BorrowedTokens);
        Assert.Equal(0, limiter.GetStatistics().WaitingCount);
    });

    [SkippableFact]
    public virtual Task A_worker_thread_can_call_back_into_the_backend_through_a_portal() => RunAsync(async (backend, token) =>
    {
        int loopThread = Environment.CurrentManagedThreadId;
        await using var portal = new BlockingPortal(backend);
        (int Worker, int CalledBackOn) seen = await Threads.RunOnThreadAsync(() =>
        {
            int calledBackOn = portal.Call(async t =>
            {
                await backend.SleepAsync(TimeSpan.FromMilliseconds(1), t);
                return Environment.CurrentManagedThreadId;
            });
            return (Environment.CurrentManagedThreadId, calledBackOn);
        }, cancellationToken: token);
        Assert.NotEqual(seen.Worker, seen.CalledBackOn);
        if (backend.Capabilities.HasFlag(BackendCapabilities.SingleThreadedLoop))
        {
            Assert.Equal(loopThread, seen.CalledBackOn);
        }
    });

    private static void InterlockedMax(ref int target, int value)
    {
        int current = Volatile.Read(ref target);
        while (value > current)
        {
            int seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ThrowFromThreadWork(string message, StrongBox<Exception?> thrown)
    {
        var error = new FormatException(message);
        thrown.Value = error;
        throw error;
    }
}
