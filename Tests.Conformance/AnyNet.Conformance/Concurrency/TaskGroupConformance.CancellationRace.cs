using Xunit;

namespace AnyNet.Conformance;

public abstract partial class TaskGroupConformance<TFixture>
{
    /// <summary>
    /// A child's token is linked to the group's through one of the group token's callbacks, and a
    /// <see cref="CancellationTokenSource"/> runs its callbacks newest first. So a callback that the child registered
    /// on the group's token later runs before the child's own token is cancelled. The same window opens whenever the
    /// group is cancelled on another thread (another loop of a multi-loop backend, <c>CancelAsync</c>). A child that
    /// ends right there, by the group's cancellation, was cancelled, not failed: the group must end normally. Where
    /// continuations run inline (the thread pool) the child ends inside that window every time.
    /// </summary>
    [SkippableFact]
    public virtual Task A_child_ended_by_the_groups_cancellation_before_its_own_token_sees_it_is_not_an_error() => RunAsync(async (backend, token) =>
    {
        CancellationTokenRegistration registration = default;
        try
        {
            await TaskGroup.RunAsync(async group =>
            {
                var registered = new AsyncEvent();
                group.Start(_ =>
                {
                    // Not RunContinuationsAsynchronously: the child's end runs inside the callback where it can.
                    var ending = new TaskCompletionSource();
                    registration = group.Token.UnsafeRegister(static s =>
                    {
                        var (ending, groupToken) = ((TaskCompletionSource, CancellationToken))s!;
                        ending.TrySetException(new OperationCanceledException(groupToken));
                    }, (ending, group.Token));
                    registered.Set();
                    return ending.Task;
                });
                await registered.WaitAsync(token);
                group.Cancel();
            }, token);
        }
        finally
        {
            registration.Dispose();
        }
    });
}
