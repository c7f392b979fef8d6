using System.Collections.Concurrent;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// <see cref="IAsyncBackend.WaitAllTasksBlockedAsync"/> (Trio's <c>wait_all_tasks_blocked</c>): it returns only once
/// every other task waits, work in progress (ready tasks, I/O already sent) runs to its next wait first, and tasks
/// waiting on a timer count as blocked. A backend without the capability says so with <see cref="NotSupportedException"/>.
/// </summary>
public abstract class WaitAllTasksBlockedConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    private const string Why = "WaitAllTasksBlockedAsync needs a scheduler that knows when it has nothing to run";

    [SkippableFact]
    public virtual Task A_busy_task_finishes_its_work_before_the_wait_returns() => RunAsync(async (backend, token) =>
    {
        RequireCapability(BackendCapabilities.WaitAllTasksBlocked, Why);
        var record = new ConcurrentQueue<string>();
        await TaskGroup.RunAsync(group =>
        {
            group.Start(async _ =>
            {
                for (int i = 0; i < 100; i++)
                {
                    await Task.Yield();
                }

                record.Enqueue("busy task done");
            });
            group.Start(async t =>
            {
                await backend.WaitAllTasksBlockedAsync(t);
                record.Enqueue("all blocked");
            });
            return Task.CompletedTask;
        }, token);

        Assert.Equal(["busy task done", "all blocked"], record);
    });

    [SkippableFact]
    public virtual Task Bytes_already_sent_are_received_and_answered_before_the_wait_returns() => RunAsync(async (backend, token) =>
    {
        RequireCapability(BackendCapabilities.WaitAllTasksBlocked, Why);
        RequireCapability(
            BackendCapabilities.OperatingSystemSockets,
            "in a simulated network a segment in flight is a timer, so a task waiting for it counts as blocked, as under Trio's mock clock");
        await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
        (ISocketStream client, ISocketStream server) = await StreamTestHelpers.ConnectPairAsync(backend, listener, token);
        await using (client)
        await using (server)
        {
            var record = new ConcurrentQueue<string>();
            await TaskGroup.RunAsync(async group =>
            {
                group.Start(async t =>
                {
                    byte[] request = await server.ReceiveExactlyAsync(5, t);
                    await server.SendAsync(request, t);
                    record.Enqueue("server answered");
                    await server.ReceiveAsync(new byte[1], t);
                });
                group.Start(async t =>
                {
                    await client.ReceiveExactlyAsync(5, t);
                    record.Enqueue("client got the answer");
                    await client.ReceiveAsync(new byte[1], t);
                });
                await client.SendAsync("hello"u8.ToArray(), token);
                await backend.WaitAllTasksBlockedAsync(token);
                Assert.Equal(["server answered", "client got the answer"], record);
                group.Cancel();
            }, token);
        }
    });

    [SkippableFact]
    public virtual Task A_task_sleeping_on_the_clock_counts_as_blocked() => RunAsync(async (backend, token) =>
    {
        RequireCapability(BackendCapabilities.WaitAllTasksBlocked, Why);
        bool woke = false;
        bool waitReturned = false;
        await TaskGroup.RunAsync(async group =>
        {
            group.Start(async t =>
            {
                await backend.SleepAsync(TimeSpan.FromHours(1), t);
                woke = true;
            });
            await backend.WaitAllTasksBlockedAsync(token);
            waitReturned = true;
            group.Cancel();
        }, token);

        Assert.True(waitReturned);
        Assert.False(woke, "the clock ran an hour ahead instead of the wait returning first");
    });

    [SkippableFact]
    public virtual Task Several_waiters_are_released_and_a_cancelled_wait_throws() => RunAsync(async (backend, token) =>
    {
        RequireCapability(BackendCapabilities.WaitAllTasksBlocked, Why);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => backend.WaitAllTasksBlockedAsync(new CancellationToken(canceled: true)));

        int released = 0;
        await TaskGroup.RunAsync(group =>
        {
            for (int i = 0; i < 3; i++)
            {
                group.Start(async t =>
                {
                    await backend.WaitAllTasksBlockedAsync(t);
                    Interlocked.Increment(ref released);
                });
            }

            return Task.CompletedTask;
        }, token);
        Assert.Equal(3, released);

        // A wait that cancellation ends leaves nothing behind: a later wait still returns.
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
        Task cancelled = backend.WaitAllTasksBlockedAsync(cancel.Token);
        // Cancelled synchronously, on this scheduler (CancelAsync would run the callback on the thread pool).
        cancel.Cancel();
        try
        {
            await cancelled;
        }
        catch (OperationCanceledException)
        {
        }

        await backend.WaitAllTasksBlockedAsync(token);
    });

    [SkippableFact]
    public virtual Task A_backend_without_the_capability_throws_NotSupportedException_naming_it() => RunAsync(async (backend, token) =>
    {
        Skip.If(backend.Capabilities.HasFlag(BackendCapabilities.WaitAllTasksBlocked), $"skipped: the '{backend.Name}' backend declares WaitAllTasksBlocked (the other tests of this area check it).");
        var error = await Assert.ThrowsAsync<NotSupportedException>(() => backend.WaitAllTasksBlockedAsync(token));
        Assert.Contains(nameof(BackendCapabilities.WaitAllTasksBlocked), error.Message, StringComparison.Ordinal);
    });
}
