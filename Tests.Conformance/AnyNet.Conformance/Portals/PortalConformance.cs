using System.Runtime.CompilerServices;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// The blocking portal: foreign threads calling async code on a running backend, blocking or through a task; results,
/// exceptions, cancellation, stopping, and the refusal to block the portal's own scheduler.
/// </summary>
public abstract class PortalConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    [SkippableFact]
    public virtual Task Start_runs_a_backend_on_a_new_thread_and_Call_returns_the_value_of_the_work() => OnForeignThreadAsync(() =>
    {
        int caller = Environment.CurrentManagedThreadId;
        using BlockingPortal portal = BlockingPortal.Start(() => Fixture.CreateBackend());
        int value = portal.Call(async t =>
        {
            await portal.Backend.SleepAsync(TimeSpan.FromMilliseconds(1), t);
            return 42;
        });
        Assert.Equal(42, value);
        int ranOn = portal.Call(t => Task.FromResult(Environment.CurrentManagedThreadId));
        Assert.NotEqual(caller, ranOn);
        bool ran = false;
        portal.Call(async t =>
        {
            await Task.Yield();
            ran = true;
        });
        Assert.True(ran);
    });

    [SkippableFact]
    public virtual Task A_call_from_a_foreign_thread_runs_on_the_backend_scheduler() => RunAsync(async (backend, token) =>
    {
        int loopThread = Environment.CurrentManagedThreadId;
        SynchronizationContext? loopContext = SynchronizationContext.Current;
        await using var portal = new BlockingPortal(backend);
        (int Caller, int[] Threads, bool SameContext) seen = await OnForeignThreadAsync(() =>
        {
            int[] threads = portal.Call(async t =>
            {
                int first = Environment.CurrentManagedThreadId;
                await backend.SleepAsync(TimeSpan.FromMilliseconds(1), t);
                await Task.Yield();
                return new[] { first, Environment.CurrentManagedThreadId };
            });
            bool sameContext = portal.Call(t => Task.FromResult(SynchronizationContext.Current == loopContext));
            return (Environment.CurrentManagedThreadId, threads, sameContext);
        });
        Assert.All(seen.Threads, id => Assert.NotEqual(seen.Caller, id));
        if (backend.Capabilities.HasFlag(BackendCapabilities.SingleThreadedLoop))
        {
            // On a loop backend the work runs on the loop thread, under the loop's context, like the backend's own code.
            Assert.All(seen.Threads, id => Assert.Equal(loopThread, id));
            Assert.True(seen.SameContext);
        }
    });

    [SkippableFact]
    public virtual Task CallAsync_returns_a_task_of_the_result_and_works_from_the_backend_itself() => RunAsync(async (backend, token) =>
    {
        await using var portal = new BlockingPortal(backend);
        Assert.Equal(7, await portal.CallAsync(t => Task.FromResult(7), token));
        int fromThread = await OnForeignThreadAsync(() => portal.CallAsync(async t =>
        {
            await backend.SleepAsync(TimeSpan.FromMilliseconds(1), t);
            return 8;
        }).GetAwaiter().GetResult());
        Assert.Equal(8, fromThread);
    });

    [SkippableFact]
    public virtual Task An_exception_of_the_work_reaches_the_caller_intact() => OnForeignThreadAsync(() =>
    {
        using BlockingPortal portal = BlockingPortal.Start(() => Fixture.CreateBackend());
        var thrown = new StrongBox<Exception?>();
        var blocking = Assert.Throws<FormatException>(() => portal.Call<int>(async t =>
        {
            await portal.Backend.SleepAsync(TimeSpan.FromMilliseconds(1), t);
            ThrowFromPortalWork("bad format", thrown);
            return 0;
        }));
        Assert.Same(thrown.Value, blocking);
        Assert.Equal("bad format", blocking.Message);
        Assert.Contains(nameof(ThrowFromPortalWork), blocking.StackTrace, StringComparison.Ordinal);

        Task<int> viaTask = portal.CallAsync<int>(async t =>
        {
            await Task.Yield();
            throw new KeyNotFoundException("no such key");
        });
        var async = Assert.Throws<KeyNotFoundException>(() => viaTask.GetAwaiter().GetResult());
        Assert.Equal("no such key", async.Message);
        Assert.IsType<KeyNotFoundException>(viaTask.Exception!.InnerException);
        Assert.Equal(5, portal.Call(t => Task.FromResult(5)));
    });

    [SkippableFact]
    public virtual Task A_blocking_call_from_inside_the_portal_work_throws_instead_of_deadlocking() => OnForeignThreadAsync(() =>
    {
        using BlockingPortal portal = BlockingPortal.Start(() => Fixture.CreateBackend());
        Exception? fromInside = portal.Call(async t =>
        {
            await Task.Yield();
            return Record.Exception(() => portal.Call(_ => Task.FromResult(1)));
        });
        Assert.IsType<InvalidOperationException>(fromInside);
        Exception? stopInside = portal.Call(async t => await Record.ExceptionAsync(() => portal.StopAsync()));
        Assert.IsType<InvalidOperationException>(stopInside);
        Assert.Equal(2, portal.Call(async t => await portal.CallAsync(_ => Task.FromResult(2), t)));
    });

    [SkippableFact]
    public virtual Task On_a_loop_a_blocking_call_from_the_loop_thread_throws_instead_of_deadlocking() => RunAsync(async (backend, token) =>
    {
        Skip.IfNot(backend.Capabilities.HasFlag(BackendCapabilities.SingleThreadedLoop), $"skipped: the '{backend.Name}' backend does not declare SingleThreadedLoop (without a loop thread, only calls from inside portal work are refused)");
        await using var portal = new BlockingPortal(backend);
        Assert.Equal(1, await portal.CallAsync(_ => Task.FromResult(1), token));
        Assert.Throws<InvalidOperationException>(() => portal.Call(_ => Task.FromResult(1)));
    });

    [SkippableFact]
    public virtual Task Stopping_the_portal_cancels_outstanding_calls_and_refuses_new_ones() => OnForeignThreadAsync(() =>
    {
        BlockingPortal portal = BlockingPortal.Start(() => Fixture.CreateBackend());
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool sawCancellation = false;
        Task<int> outstanding = portal.CallAsync(async t =>
        {
            entered.TrySetResult();
            try
            {
                await portal.Backend.SleepAsync(Timeout.InfiniteTimeSpan, t);
            }
            catch (OperationCanceledException)
            {
                sawCancellation = true;
                throw;
            }

            return 1;
        });
        Assert.True(entered.Task.Wait(DefaultTimeout));
        portal.Stop();
        Assert.True(outstanding.IsCompleted, "Stop returned before the outstanding call ended");
        Assert.True(sawCancellation);
        Assert.ThrowsAny<OperationCanceledException>(() => outstanding.GetAwaiter().GetResult());
        Assert.Throws<ObjectDisposedException>(() => portal.Call(_ => Task.FromResult(1)));
        Assert.Throws<ObjectDisposedException>(() => { _ = portal.CallAsync(_ => Task.FromResult(1)); });
        Assert.True(portal.IsStopped);
        portal.Stop();
    });

    [SkippableFact]
    public virtual Task Stopping_a_started_portal_disposes_its_backend() => OnForeignThreadAsync(() =>
    {
        BlockingPortal portal = BlockingPortal.Start(() => Fixture.CreateBackend());
        IAsyncBackend backend = portal.Backend;
        portal.Stop();
        Assert.ThrowsAny<ObjectDisposedException>(() => backend.RunAsync(_ => Task.FromResult(1)).GetAwaiter().GetResult());
    });

    [SkippableFact]
    public virtual Task Stopping_a_portal_into_a_running_backend_leaves_the_backend_running() => RunAsync(async (backend, token) =>
    {
        var portal = new BlockingPortal(backend);
        Assert.Equal(3, await OnForeignThreadAsync(() => portal.Call(_ => Task.FromResult(3))));
        await portal.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => portal.CallAsync(_ => Task.FromResult(1), token));
        await backend.SleepAsync(TimeSpan.FromMilliseconds(1), token);
        Assert.Equal(4, await backend.RunAsync(_ => Task.FromResult(4), token));
    });

    [SkippableFact]
    public virtual Task Start_rethrows_the_exception_of_the_backend_factory_unchanged() => OnForeignThreadAsync(() =>
    {
        var error = Assert.Throws<NotSupportedException>(() => BlockingPortal.Start(() => throw new NotSupportedException("no backend here")));
        Assert.Equal("no backend here", error.Message);
    });

    [SkippableFact]
    public virtual Task The_caller_token_cancels_the_work_and_the_portal_stays_usable() => OnForeignThreadAsync(() =>
    {
        using BlockingPortal portal = BlockingPortal.Start(() => Fixture.CreateBackend());
        using var cancel = new CancellationTokenSource();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task call = portal.CallAsync(async t =>
        {
            entered.TrySetResult();
            await portal.Backend.SleepAsync(Timeout.InfiniteTimeSpan, t);
        }, cancel.Token);
        Assert.True(entered.Task.Wait(DefaultTimeout));
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => call.GetAwaiter().GetResult());
        Assert.ThrowsAny<OperationCanceledException>(() => portal.Call(_ => Task.FromResult(1), cancel.Token));
        Assert.Equal(5, portal.Call(_ => Task.FromResult(5)));
    });

    [SkippableFact]
    public virtual async Task Calls_run_concurrently_and_many_threads_can_call_at_once()
    {
        await OnForeignThreadAsync(() =>
        {
            using BlockingPortal portal = BlockingPortal.Start(() => Fixture.CreateBackend());

            // One call waits for a signal that only a later call gives: calls do not run one after another.
            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Task<int> waiting = portal.CallAsync(async t =>
            {
                await signal.Task.WaitAsync(t);
                return 1;
            });
            portal.Call(_ =>
            {
                signal.TrySetResult();
                return Task.CompletedTask;
            });
            Assert.Equal(1, waiting.GetAwaiter().GetResult());

            int total = 0;
            Thread[] callers = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
            {
                for (int i = 0; i < 25; i++)
                {
                    portal.Call(async t =>
                    {
                        await Task.Yield();
                        Interlocked.Increment(ref total);
                    });
                }
            })).ToArray();
            Array.ForEach(callers, c => c.Start());
            Assert.All(callers, c => Assert.True(c.Join(DefaultTimeout)));
            Assert.Equal(100, total);
        });
    }

    /// <summary>Runs <paramref name="body"/> on a new thread (not a backend's, not the pool's) under the hard timeout.</summary>
    protected static Task OnForeignThreadAsync(Action body) => OnForeignThreadAsync<object?>(() =>
    {
        body();
        return null;
    });

    /// <summary>Runs <paramref name="body"/> on a new thread (not a backend's, not the pool's) under the hard timeout, and returns its value.</summary>
    protected static Task<T> OnForeignThreadAsync<T>(Func<T> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                done.TrySetResult(body());
            }
            catch (Exception error)
            {
                done.TrySetException(error);
            }
        }) { IsBackground = true, Name = "foreign caller" };
        thread.Start();
        return done.Task.WaitAsync(DefaultTimeout);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowFromPortalWork(string message, StrongBox<Exception?> thrown)
    {
        var error = new FormatException(message);
        thrown.Value = error;
        throw error;
    }
}
