using System.IO.Pipelines;

namespace AnyNet.AspNetCore.Internal;

/// <summary>
/// Runs a pipe continuation on a loop backend's <see cref="SynchronizationContext"/>: inline when already on that loop,
/// else posted to it. The transport's own side of each pipe uses it, so the pumps always do their socket calls on
/// the loop thread (a loop backend's zero-allocation path; calls from other threads are forwarded and allocate).
/// </summary>
internal sealed class ContextPipeScheduler(SynchronizationContext context) : PipeScheduler
{
    private static readonly SendOrPostCallback s_run = static state =>
    {
        var (action, argument) = ((Action<object?>, object?))state!;
        action(argument);
    };

    public override void Schedule(Action<object?> action, object? state)
    {
        if (SynchronizationContext.Current == context)
        {
            action(state);
        }
        else
        {
            context.Post(s_run, (action, state));
        }
    }
}
