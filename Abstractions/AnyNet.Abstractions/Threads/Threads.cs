using AnyNet.Internal;

namespace AnyNet;

/// <summary>
/// Runs blocking code (file I/O, a synchronous library, CPU-heavy work) on a worker thread without blocking the backend,
/// limited by a <see cref="CapacityLimiter"/>. AnyIO's <c>to_thread.run_sync</c>.
/// </summary>
/// <remarks>
/// <para>
/// The work runs on a dedicated background worker thread (idle workers are kept for a few seconds and reused; the thread
/// pool is never blocked). It sees the caller's <see cref="AsyncLocal{T}"/> values and no synchronization context.
/// The await resumes on the caller's <see cref="SynchronizationContext"/>: on a loop backend, back on the loop thread.
/// The work's exception reaches the caller intact (the same object, with its stack trace).
/// </para>
/// <para>
/// Each running work holds one token of the limiter (default: <see cref="DefaultLimiter"/>, 40 tokens) from before
/// its thread starts until it returns. Cancellation: a token cancelled while waiting for the limiter means the work
/// never runs (<see cref="OperationCanceledException"/>). Once the work runs, the token passed to it is cancelled
/// too; by default the caller then still waits for the work to end and gets its outcome (it happened, so its result
/// is not thrown away). With <c>abandonOnCancel</c> the caller gets <see cref="OperationCanceledException"/> at once
/// and the thread finishes alone, its outcome ignored; it keeps its limiter token until it really ends.
/// </para>
/// </remarks>
public static class Threads
{
    /// <summary>The number of tokens of <see cref="DefaultLimiter"/> when the process starts.</summary>
    public const int DefaultThreadLimit = 40;

    /// <summary>The limiter used when none is given: <see cref="DefaultThreadLimit"/> tokens, shared by the whole process. Its size can be changed.</summary>
    public static CapacityLimiter DefaultLimiter { get; } = new(DefaultThreadLimit);

    /// <summary>Runs <paramref name="work"/> on a worker thread and returns its result.</summary>
    /// <param name="work">The blocking work; its token is cancelled when <paramref name="cancellationToken"/> is.</param>
    /// <param name="limiter">Bounds how many works run at once (default: <see cref="DefaultLimiter"/>).</param>
    /// <param name="abandonOnCancel">When true, cancellation returns at once and leaves the thread to finish alone.</param>
    /// <param name="cancellationToken">Cancels the wait for a limiter token, the work's token, and (with <paramref name="abandonOnCancel"/>) the wait for the work.</param>
    /// <exception cref="OperationCanceledException">Cancelled before the work started, or while it ran with <paramref name="abandonOnCancel"/>.</exception>
    public static async Task<T> RunOnThreadAsync<T>(Func<CancellationToken, T> work, CapacityLimiter? limiter = null, bool abandonOnCancel = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        cancellationToken.ThrowIfCancellationRequested();
        limiter ??= DefaultLimiter;
        var job = new ThreadJob<T>(work, limiter, cancellationToken);

        // No ConfigureAwait(false): the method must stay on the caller's context so its final await returns there.
        await limiter.AcquireOnBehalfOfAsync(job, cancellationToken);
        try
        {
            WorkerThread.Run(job);
        }
        catch
        {
            limiter.ReleaseOnBehalfOf(job);
            throw;
        }

        if (!abandonOnCancel || !cancellationToken.CanBeCanceled)
        {
            return await job.Task;
        }

        try
        {
            return await job.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Abandoned: nobody will look at the outcome, so observe it here rather than leave an unobserved fault.
            _ = job.Task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }
    }

    /// <summary>Runs <paramref name="work"/> on a worker thread and returns its result.</summary>
    /// <inheritdoc cref="RunOnThreadAsync{T}(Func{CancellationToken, T}, CapacityLimiter?, bool, CancellationToken)" />
    public static Task<T> RunOnThreadAsync<T>(Func<T> work, CapacityLimiter? limiter = null, bool abandonOnCancel = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        return RunOnThreadAsync(_ => work(), limiter, abandonOnCancel, cancellationToken);
    }

    /// <summary>Runs <paramref name="work"/> on a worker thread.</summary>
    /// <inheritdoc cref="RunOnThreadAsync{T}(Func{CancellationToken, T}, CapacityLimiter?, bool, CancellationToken)" />
    public static Task RunOnThreadAsync(Action<CancellationToken> work, CapacityLimiter? limiter = null, bool abandonOnCancel = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        return RunOnThreadAsync<object?>(token =>
        {
            work(token);
            return null;
        }, limiter, abandonOnCancel, cancellationToken);
    }

    /// <summary>Runs <paramref name="work"/> on a worker thread.</summary>
    /// <inheritdoc cref="RunOnThreadAsync{T}(Func{CancellationToken, T}, CapacityLimiter?, bool, CancellationToken)" />
    public static Task RunOnThreadAsync(Action work, CapacityLimiter? limiter = null, bool abandonOnCancel = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        return RunOnThreadAsync(_ => work(), limiter, abandonOnCancel, cancellationToken);
    }
}
