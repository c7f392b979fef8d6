namespace AnyNet;

/// <summary>A child of a <see cref="TaskGroup"/>: its status, its outcome, and a way to cancel just it.</summary>
public class TaskHandle
{
    private readonly CancellationTokenSource _cancellation;
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile TaskHandleStatus _status;

    internal TaskHandle(string? name, CancellationToken groupToken)
    {
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(groupToken);
        Token = _cancellation.Token;
        Name = name;
    }

    /// <summary>The name given at start, for diagnostics.</summary>
    public string? Name { get; }

    /// <summary>The child's current status.</summary>
    public TaskHandleStatus Status => _status;

    /// <summary>True once the child has ended, whatever the outcome.</summary>
    public bool IsDone => _status >= TaskHandleStatus.Completed;

    /// <summary>The error the child ended with, if it faulted.</summary>
    public Exception? Exception { get; private set; }

    /// <summary>The token the child runs with: cancelled by <see cref="Cancel"/> or by the group.</summary>
    public CancellationToken Token { get; }

    /// <summary>Cancels this child only. Its cancellation is not an error of the group.</summary>
    public void Cancel()
    {
        if (IsDone)
        {
            return;
        }

        try
        {
            _cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The child ended between the check and the cancel: there is nothing left to cancel.
        }
    }

    /// <summary>Completes when the child has ended (the child's error goes to the group, not to this wait).</summary>
    public async Task<TaskHandleStatus> WaitAsync(CancellationToken cancellationToken = default)
    {
        await _done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return _status;
    }

    // The group's list of children that have not ended, linked through the handles themselves so that starting a
    // child allocates no list node (a server starts one child per connection).
    internal TaskHandle? PreviousInGroup { get; set; }

    internal TaskHandle? NextInGroup { get; set; }

    internal void MarkRunning() => _status = TaskHandleStatus.Running;

    internal void AddCancellationSource(CancellationToken token, out CancellationTokenRegistration registration) =>
        registration = token.Register(static s => ((CancellationTokenSource)s!).Cancel(), _cancellation);

    internal virtual void Complete() => Finish(TaskHandleStatus.Completed, null);

    internal void Fail(Exception error, bool cancelled) =>
        Finish(cancelled ? TaskHandleStatus.Cancelled : TaskHandleStatus.Faulted, cancelled ? null : error);

    private void Finish(TaskHandleStatus status, Exception? error)
    {
        Exception = error;
        _status = status;
        _cancellation.Dispose();
        _done.TrySetResult();
    }
}
