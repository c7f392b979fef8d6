using System.Diagnostics.CodeAnalysis;

namespace AnyNet.Internal;

/// <summary>Work handed to a <see cref="WorkerThread"/>.</summary>
internal interface IThreadJob
{
    /// <summary>Runs the work on the current (worker) thread; never throws.</summary>
    void Execute();
}

/// <summary>
/// One <see cref="Threads.RunOnThreadAsync{T}(Func{CancellationToken, T}, CapacityLimiter?, bool, CancellationToken)"/>
/// call: the work, the caller's execution context, the limiter token it holds (the job itself is the borrower), and
/// where the outcome goes.
/// </summary>
internal sealed class ThreadJob<T>(Func<CancellationToken, T> work, CapacityLimiter limiter, CancellationToken cancellationToken) : IThreadJob
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ExecutionContext? _context = ExecutionContext.Capture();

    public Task<T> Task => _completion.Task;

    public void Execute()
    {
        if (_context is null)
        {
            ExecuteCore();
        }
        else
        {
            // The caller's async-local values flow into the work, as they would into Task.Run.
            ExecutionContext.Run(_context, static s => ((ThreadJob<T>)s!).ExecuteCore(), this);
        }
    }

    [SuppressMessage("Design", "CA1031", Justification = "Every exception of the work is handed to the caller intact.")]
    private void ExecuteCore()
    {
        T result = default!;
        Exception? error = null;
        try
        {
            result = work(cancellationToken);
        }
        catch (Exception caught)
        {
            error = caught;
        }

        // The token goes back before the caller resumes, so a caller that awaited the work sees it free again.
        limiter.ReleaseOnBehalfOf(this);
        if (error is null)
        {
            _completion.TrySetResult(result);
        }
        else
        {
            _completion.TrySetException(error);
        }
    }
}
