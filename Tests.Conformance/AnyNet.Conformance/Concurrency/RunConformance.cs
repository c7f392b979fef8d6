using Xunit;

namespace AnyNet.Conformance;

/// <summary>Entering the backend: Run and RunAsync, results, errors, disposal and the loop-thread guarantee.</summary>
public abstract class RunConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    [SkippableFact]
    public virtual void Run_blocks_and_returns_the_value_of_main()
    {
        using IAsyncBackend backend = Fixture.CreateBackend();
        int result = backend.Run(async token =>
        {
            await backend.SleepAsync(TimeSpan.FromMilliseconds(1), token);
            return 42;
        });
        Assert.Equal(42, result);
    }

    [SkippableFact]
    public virtual void Run_rethrows_the_exception_of_main_unchanged()
    {
        using IAsyncBackend backend = Fixture.CreateBackend();
        var error = Assert.Throws<FormatException>(() => backend.Run(async _ =>
        {
            await Task.Yield();
            throw new FormatException("from main");
        }));
        Assert.Equal("from main", error.Message);
    }

    [SkippableFact]
    public virtual async Task RunAsync_can_be_called_concurrently_and_every_call_completes()
    {
        await using IAsyncBackend backend = Fixture.CreateBackend();
        Task<int>[] runs = Enumerable.Range(0, 10).Select(i => backend.RunAsync(async token =>
        {
            await Task.Yield();
            return i;
        })).ToArray();
        int[] results = await Task.WhenAll(runs).WaitAsync(DefaultTimeout);
        Assert.Equal(Enumerable.Range(0, 10), results);
    }

    [SkippableFact]
    public virtual async Task Disposing_the_backend_cancels_the_token_of_running_mains()
    {
        IAsyncBackend backend = Fixture.CreateBackend();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task run = backend.RunAsync(async token =>
        {
            entered.TrySetResult();
            await backend.SleepAsync(Timeout.InfiniteTimeSpan, token);
        });
        await entered.Task.WaitAsync(DefaultTimeout);
        await backend.DisposeAsync().AsTask().WaitAsync(DefaultTimeout);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    [SkippableFact]
    public virtual async Task RunAsync_after_dispose_throws_ObjectDisposedException()
    {
        IAsyncBackend backend = Fixture.CreateBackend();
        await backend.DisposeAsync();
        await backend.DisposeAsync();
        await Assert.ThrowsAnyAsync<ObjectDisposedException>(() => backend.RunAsync(_ => Task.FromResult(1)));
    }

    [SkippableFact]
    public virtual async Task RunAsync_with_a_null_main_throws_ArgumentNullException()
    {
        await using IAsyncBackend backend = Fixture.CreateBackend();
        await Assert.ThrowsAsync<ArgumentNullException>(() => backend.RunAsync<int>(null!));
    }

    [SkippableFact]
    public virtual Task On_a_single_threaded_loop_every_continuation_returns_to_the_loop_thread() => RunAsync(async (backend, token) =>
    {
        Skip.IfNot(backend.Capabilities.HasFlag(BackendCapabilities.SingleThreadedLoop), $"skipped: the '{backend.Name}' backend does not declare SingleThreadedLoop");
        int loopThread = Environment.CurrentManagedThreadId;
        var threads = new List<int>();
        await TaskGroup.RunAsync(group =>
        {
            for (int i = 0; i < 4; i++)
            {
                group.Start(async t =>
                {
                    threads.Add(Environment.CurrentManagedThreadId);
                    await backend.SleepAsync(TimeSpan.FromMilliseconds(1), t);
                    threads.Add(Environment.CurrentManagedThreadId);
                    await Task.Yield();
                    threads.Add(Environment.CurrentManagedThreadId);
                });
            }

            return Task.CompletedTask;
        }, token);
        await backend.SleepAsync(TimeSpan.FromMilliseconds(1), token);
        Assert.Equal(loopThread, Environment.CurrentManagedThreadId);
        Assert.All(threads, id => Assert.Equal(loopThread, id));
    });

    [SkippableFact]
    public virtual Task On_a_single_threaded_loop_user_code_never_runs_concurrently() => RunAsync(async (backend, token) =>
    {
        Skip.IfNot(backend.Capabilities.HasFlag(BackendCapabilities.SingleThreadedLoop), $"skipped: the '{backend.Name}' backend does not declare SingleThreadedLoop");
        int inside = 0;
        int overlaps = 0;
        await TaskGroup.RunAsync(group =>
        {
            for (int i = 0; i < 8; i++)
            {
                group.Start(async t =>
                {
                    for (int step = 0; step < 50; step++)
                    {
                        // Unsynchronised on purpose: on one loop thread these never interleave.
                        inside++;
                        if (inside != 1)
                        {
                            overlaps++;
                        }

                        Thread.SpinWait(50);
                        inside--;
                        await Task.Yield();
                    }
                });
            }

            return Task.CompletedTask;
        }, token);
        Assert.Equal(0, overlaps);
    });
}
