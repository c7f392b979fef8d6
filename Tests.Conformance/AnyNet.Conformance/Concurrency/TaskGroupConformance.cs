using Xunit;

namespace AnyNet.Conformance;

/// <summary>Task groups (nurseries): start, wait, cancel-on-failure, error aggregation, StartAsync.</summary>
public abstract partial class TaskGroupConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    [ThreadStatic]
    private static bool t_insideStart;

    [SkippableFact]
    public virtual Task The_group_waits_for_every_child() => RunAsync(async (backend, token) =>
    {
        int finished = 0;
        await TaskGroup.RunAsync(group =>
        {
            for (int i = 0; i < 10; i++)
            {
                int delay = i;
                group.Start(async t =>
                {
                    await backend.SleepAsync(TimeSpan.FromMilliseconds(delay), t);
                    Interlocked.Increment(ref finished);
                });
            }

            return Task.CompletedTask;
        }, token);
        Assert.Equal(10, finished);
    });

    [SkippableFact]
    public virtual Task GetRunningTasks_lists_the_children_that_have_not_ended_with_their_names_and_status() => RunAsync(async (backend, token) =>
    {
        var release = new AsyncEvent();
        var bothRunning = new AsyncSemaphore(0);
        await TaskGroup.RunAsync(async group =>
        {
            Assert.Empty(group.GetRunningTasks());
            foreach (string name in new[] { "first", "second" })
            {
                group.Start(async t =>
                {
                    bothRunning.Release();
                    await release.WaitAsync(t);
                }, name);
            }

            TaskHandle quick = group.Start(_ => Task.CompletedTask, "quick");
            IReadOnlyList<TaskHandle> pending = group.GetRunningTasks();

            // On a loop, children begin only when the parent yields; on the thread pool they may already run, and the
            // quick one may even have ended.
            if (backend.Capabilities.HasFlag(BackendCapabilities.SingleThreadedLoop))
            {
                Assert.Equal(["first", "second", "quick"], pending.Select(h => h.Name));
                Assert.All(pending, h => Assert.Equal(TaskHandleStatus.Pending, h.Status));
            }
            else
            {
                // A snapshot of the thread pool goes stale at once (the quick child may end right after it), so only
                // the order of the two children that wait is checked here.
                Assert.Equal(["first", "second"], pending.Select(h => h.Name).Take(2));
            }

            await bothRunning.AcquireAsync(token);
            await bothRunning.AcquireAsync(token);
            await quick.WaitAsync(token);
            IReadOnlyList<TaskHandle> running = group.GetRunningTasks();
            Assert.Equal(["first", "second"], running.Select(h => h.Name));
            Assert.All(running, h => Assert.Equal(TaskHandleStatus.Running, h.Status));
            release.Set();
        }, token);
    });

    [SkippableFact]
    public virtual Task A_child_never_runs_inside_Start() => RunAsync(async (backend, token) =>
    {
        bool ranInsideStart = false;
        bool ranBeforeStartReturned = false;
        bool startReturned = false;
        bool singleThreaded = backend.Capabilities.HasFlag(BackendCapabilities.SingleThreadedLoop);
        await TaskGroup.RunAsync(group =>
        {
            t_insideStart = true;
            group.Start(_ =>
            {
                ranInsideStart = t_insideStart;
                ranBeforeStartReturned = !Volatile.Read(ref startReturned);
                return Task.CompletedTask;
            });
            t_insideStart = false;
            Volatile.Write(ref startReturned, true);
            return Task.CompletedTask;
        }, token);
        Assert.False(ranInsideStart, "the child ran synchronously inside Start");
        if (singleThreaded)
        {
            Assert.False(ranBeforeStartReturned, "on a loop, the child ran before the parent yielded");
        }
    });

    [SkippableFact]
    public virtual Task A_group_with_no_children_still_yields_at_its_end() => RunAsync(async (_, token) =>
    {
        Task group = TaskGroup.RunAsync(_ => Task.CompletedTask, token);
        Assert.False(group.IsCompleted, "an empty group ended without yielding");
        await group;
    });

    [SkippableFact]
    public virtual Task A_failing_child_cancels_its_siblings_and_the_body() => RunAsync(async (backend, token) =>
    {
        bool siblingCancelled = false;
        bool bodyCancelled = false;
        var error = await Assert.ThrowsAsync<TaskGroupException>(() => TaskGroup.RunAsync(async group =>
        {
            group.Start(async t =>
            {
                try
                {
                    await backend.SleepAsync(Timeout.InfiniteTimeSpan, t);
                }
                catch (OperationCanceledException)
                {
                    siblingCancelled = true;
                    throw;
                }
            });
            group.Start(async _ =>
            {
                await Task.Yield();
                throw new InvalidOperationException("child failed");
            });
            try
            {
                await backend.SleepAsync(Timeout.InfiniteTimeSpan, group.Token);
            }
            catch (OperationCanceledException)
            {
                bodyCancelled = true;
                throw;
            }
        }, token));
        Assert.True(siblingCancelled);
        Assert.True(bodyCancelled);
        Assert.IsType<InvalidOperationException>(Assert.Single(error.InnerExceptions));
    });

    [SkippableFact]
    public virtual Task A_failing_body_cancels_the_children() => RunAsync(async (backend, token) =>
    {
        bool childCancelled = false;
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var error = await Assert.ThrowsAsync<TaskGroupException>(() => TaskGroup.RunAsync(async group =>
        {
            group.Start(async t =>
            {
                started.TrySetResult();
                try
                {
                    await backend.SleepAsync(Timeout.InfiniteTimeSpan, t);
                }
                catch (OperationCanceledException)
                {
                    childCancelled = true;
                    throw;
                }
            });
            await started.Task;
            throw new FormatException("body failed");
        }, token));
        Assert.True(childCancelled);
        Assert.IsType<FormatException>(Assert.Single(error.InnerExceptions));
    });

    [SkippableFact]
    public virtual Task Every_real_error_is_collected_and_cancellations_are_dropped() => RunAsync(async (backend, token) =>
    {
        var error = await Assert.ThrowsAsync<TaskGroupException>(() => TaskGroup.RunAsync(group =>
        {
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            int arrived = 0;
            foreach (string message in new[] { "one", "two" })
            {
                group.Start(async _ =>
                {
                    // Both children reach this point before either fails, so both errors are real, not cancellations.
                    if (Interlocked.Increment(ref arrived) == 2)
                    {
                        gate.TrySetResult();
                    }

                    await gate.Task;
                    throw new InvalidOperationException(message);
                });
            }

            group.Start(t => backend.SleepAsync(Timeout.InfiniteTimeSpan, t));
            return Task.CompletedTask;
        }, token));
        Assert.Equal(["one", "two"], error.InnerExceptions.Select(e => e.Message).Order());
        Assert.IsAssignableFrom<AggregateException>(error);
    });

    [SkippableFact]
    public virtual Task Nested_groups_aggregate_the_same_way() => RunAsync(async (_, token) =>
    {
        var error = await Assert.ThrowsAsync<TaskGroupException>(() => TaskGroup.RunAsync(outer =>
        {
            outer.Start(t => TaskGroup.RunAsync(inner =>
            {
                inner.Start(_ => throw new ArithmeticException("deep"));
                return Task.CompletedTask;
            }, t));
            return Task.CompletedTask;
        }, token));
        var inner = Assert.IsType<TaskGroupException>(Assert.Single(error.InnerExceptions));
        Assert.IsType<ArithmeticException>(Assert.Single(inner.InnerExceptions));
    });

    [SkippableFact]
    public virtual Task A_group_cancelled_from_outside_rethrows_one_OperationCanceledException() => RunAsync(async (backend, token) =>
    {
        using var outer = CancellationTokenSource.CreateLinkedTokenSource(token);
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task group = TaskGroup.RunAsync(g =>
        {
            g.Start(async t =>
            {
                running.TrySetResult();
                await backend.SleepAsync(Timeout.InfiniteTimeSpan, t);
            });
            g.Start(t => backend.SleepAsync(Timeout.InfiniteTimeSpan, t));
            return backend.SleepAsync(Timeout.InfiniteTimeSpan, g.Token);
        }, outer.Token);
        await running.Task;
        await outer.CancelAsync();
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => group);
        Assert.IsNotType<TaskGroupException>(error);
    });

    [SkippableFact]
    public virtual Task Cancel_from_inside_ends_the_group_normally() => RunAsync(async (backend, token) =>
    {
        await TaskGroup.RunAsync(group =>
        {
            group.Start(t => backend.SleepAsync(Timeout.InfiniteTimeSpan, t));
            group.Start(t => backend.SleepAsync(Timeout.InfiniteTimeSpan, t));
            group.Cancel();
            return Task.CompletedTask;
        }, token);
    });

    [SkippableFact]
    public virtual Task StartAsync_returns_the_value_passed_to_started_while_the_child_keeps_running() => RunAsync(async (backend, token) =>
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool finished = false;
        await TaskGroup.RunAsync(async group =>
        {
            int port = await group.StartAsync<int>(async (started, t) =>
            {
                started(4242);
                await release.Task.WaitAsync(t);
                finished = true;
            }, token);
            Assert.Equal(4242, port);
            Assert.False(finished);
            release.TrySetResult();
        }, token);
        Assert.True(finished);
    });

    [SkippableFact]
    public virtual Task An_error_before_started_surfaces_from_StartAsync_not_the_group() => RunAsync(async (_, token) =>
    {
        await TaskGroup.RunAsync(async group =>
        {
            await Assert.ThrowsAsync<FormatException>(() => group.StartAsync<int>(async (_, _) =>
            {
                await Task.Yield();
                throw new FormatException("before started");
            }, token));
        }, token);
    });

    [SkippableFact]
    public virtual Task An_error_after_started_surfaces_from_the_group() => RunAsync(async (_, token) =>
    {
        var error = await Assert.ThrowsAsync<TaskGroupException>(() => TaskGroup.RunAsync(async group =>
        {
            await group.StartAsync<int>(async (started, _) =>
            {
                started(1);
                await Task.Yield();
                throw new FormatException("after started");
            }, token);
        }, token));
        Assert.IsType<FormatException>(Assert.Single(error.InnerExceptions));
    });

    [SkippableFact]
    public virtual Task Calling_started_twice_throws_and_returning_without_it_fails_StartAsync() => RunAsync(async (_, token) =>
    {
        await TaskGroup.RunAsync(async group =>
        {
            var second = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
            await group.StartAsync<int>((started, _) =>
            {
                started(1);
                second.TrySetResult(Record.Exception(() => started(2)));
                return Task.CompletedTask;
            }, token);
            Assert.IsType<InvalidOperationException>(await second.Task);
            await Assert.ThrowsAsync<InvalidOperationException>(() => group.StartAsync<int>((_, _) => Task.CompletedTask, token));
        }, token);
    });

    [SkippableFact]
    public virtual Task Cancelling_the_caller_of_StartAsync_cancels_only_the_starting_child() => RunAsync(async (backend, token) =>
    {
        await TaskGroup.RunAsync(async group =>
        {
            using var caller = CancellationTokenSource.CreateLinkedTokenSource(token);
            var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Task<int> starting = group.StartAsync<int>(async (_, t) =>
            {
                waiting.TrySetResult();
                await backend.SleepAsync(Timeout.InfiniteTimeSpan, t);
            }, caller.Token);
            await waiting.Task;
            await caller.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => starting);
            Assert.False(group.IsCancellationRequested, "the starting child's cancellation leaked into the group");
        }, token);
    });

    [SkippableFact]
    public virtual Task Starting_into_a_group_that_has_ended_throws_InvalidOperationException() => RunAsync(async (_, token) =>
    {
        TaskGroup? ended = null;
        await TaskGroup.RunAsync(group =>
        {
            ended = group;
            return Task.CompletedTask;
        }, token);
        Assert.Throws<InvalidOperationException>(() => ended!.Start(_ => Task.CompletedTask));
    });

    [SkippableFact]
    public virtual Task Children_started_into_a_cancelled_group_run_until_their_first_cancellation_check() => RunAsync(async (backend, token) =>
    {
        bool ran = false;
        await TaskGroup.RunAsync(group =>
        {
            group.Cancel();
            group.Start(async t =>
            {
                ran = true;
                await backend.SleepAsync(Timeout.InfiniteTimeSpan, t);
            });
            return Task.CompletedTask;
        }, token);
        Assert.True(ran);
    });

    [SkippableFact]
    public virtual Task A_handle_reports_status_and_result_and_can_cancel_just_its_child() => RunAsync(async (backend, token) =>
    {
        await TaskGroup.RunAsync(async group =>
        {
            TaskHandle<int> answer = group.Start(async _ =>
            {
                await Task.Yield();
                return 42;
            });
            TaskHandle sleeper = group.Start(t => backend.SleepAsync(Timeout.InfiniteTimeSpan, t), "sleeper");
            Assert.Equal(TaskHandleStatus.Completed, await answer.WaitAsync(token));
            Assert.Equal(42, answer.Result);
            sleeper.Cancel();
            Assert.Equal(TaskHandleStatus.Cancelled, await sleeper.WaitAsync(token));
            Assert.Equal("sleeper", sleeper.Name);
            Assert.False(group.IsCancellationRequested);
        }, token);
    });

    [SkippableFact]
    public virtual Task A_null_body_or_child_is_rejected_with_ArgumentNullException() => RunAsync(async (_, token) =>
    {
        await Assert.ThrowsAsync<ArgumentNullException>(() => TaskGroup.RunAsync(null!, token));
        await TaskGroup.RunAsync(group =>
        {
            Assert.Throws<ArgumentNullException>(() => group.Start(null!));
            return Task.CompletedTask;
        }, token);
    });
}
