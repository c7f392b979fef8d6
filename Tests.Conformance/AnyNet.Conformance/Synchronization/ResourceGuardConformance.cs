using Xunit;

namespace AnyNet.Conformance;

/// <summary><see cref="ResourceGuard"/>: a second concurrent user fails with <see cref="BusyResourceException"/> instead of waiting.</summary>
public abstract class ResourceGuardConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    [SkippableFact]
    public virtual Task A_second_entry_while_inside_throws_BusyResourceException() => RunAsync((backend, token) =>
    {
        var guard = new ResourceGuard("receiving");
        using (guard.Enter())
        {
            Assert.True(guard.IsInUse);
            BusyResourceException error = Assert.Throws<BusyResourceException>(() => guard.Enter());
            Assert.Contains("receiving", error.Message, StringComparison.Ordinal);
            Assert.True(guard.IsInUse);
        }

        Assert.False(guard.IsInUse);
        return Task.CompletedTask;
    });

    [SkippableFact]
    public virtual Task Leaving_the_guard_lets_the_next_user_in() => RunAsync((backend, token) =>
    {
        var guard = new ResourceGuard("sending");
        for (int i = 0; i < 3; i++)
        {
            using (guard.Enter())
            {
                Assert.True(guard.IsInUse);
            }
        }

        Assert.False(guard.IsInUse);
        return Task.CompletedTask;
    });

    [SkippableFact]
    public virtual Task A_task_inside_across_an_await_keeps_other_tasks_out() => RunAsync(async (backend, token) =>
    {
        var guard = new ResourceGuard("receiving");
        TaskCompletionSource inside = SyncTestHelpers.NewSignal();
        TaskCompletionSource leave = SyncTestHelpers.NewSignal();
        await TaskGroup.RunAsync(async group =>
        {
            group.Start(async t =>
            {
                using (guard.Enter())
                {
                    inside.SetResult();
                    await leave.Task.WaitAsync(t);
                }
            });
            await inside.Task.WaitAsync(token);
            Assert.Throws<BusyResourceException>(() => guard.Enter());
            leave.SetResult();
        }, token);
        using (guard.Enter())
        {
            Assert.True(guard.IsInUse);
        }
    });
}
