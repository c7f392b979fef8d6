using System.Collections.Concurrent;
using AnyNet.Testing;

namespace AnyNet.Conformance.Tests.Testing;

/// <summary>
/// A minimal single-threaded loop that follows the <see cref="ILoopIdleObserver"/> protocol exactly as a loop backend
/// must: attach its context, and call OnLoopIdle whenever its run queue is empty before blocking.
/// </summary>
internal sealed class TestLoop : SynchronizationContext, IDisposable
{
    private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = [];
    private readonly ILoopIdleObserver? _observer;

    public TestLoop(ILoopIdleObserver? observer) => _observer = observer;

    public int ThreadId { get; private set; }

    public override void Post(SendOrPostCallback d, object? state) => _queue.Add((d, state));

    public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException();

    /// <summary>Runs <paramref name="main"/> on a new loop thread until it completes; returns its task.</summary>
    public Task RunAsync(Func<Task> main)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            ThreadId = Environment.CurrentManagedThreadId;
            SetSynchronizationContext(this);
            using IDisposable? attachment = _observer?.AttachLoop(this);
            Task task = Task.CompletedTask;
            Post(_ => task = main(), null);
            while (true)
            {
                if (_queue.TryTake(out var item))
                {
                    item.Callback(item.State);
                    continue;
                }

                if (task.IsCompleted)
                {
                    break;
                }

                if (_observer?.OnLoopIdle() == true)
                {
                    continue;
                }

                // Nothing to run and nothing due: block until something is posted (bounded so a bug cannot hang the test run).
                if (_queue.TryTake(out item, TimeSpan.FromSeconds(30)))
                {
                    item.Callback(item.State);
                }
                else
                {
                    break;
                }
            }

            if (task.IsCompleted)
            {
                task.ContinueWith(t => done.TrySetFromTask(t), TaskScheduler.Default);
            }
            else
            {
                done.TrySetException(new TimeoutException("the test loop sat idle for 30 s"));
            }
        }) { IsBackground = true, Name = "test loop" };
        thread.Start();
        return done.Task;
    }

    public void Dispose() => _queue.Dispose();
}
