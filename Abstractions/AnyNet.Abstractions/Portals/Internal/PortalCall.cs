using System.Diagnostics.CodeAnalysis;

namespace AnyNet.Portals.Internal;

/// <summary>One call queued into a <see cref="BlockingPortal"/>: the work, the caller's token, and where the result goes.</summary>
internal abstract class PortalCall
{
    /// <summary>Runs the work on the portal's scheduler; never throws (the outcome goes to the caller).</summary>
    public abstract Task RunAsync(CancellationToken portalToken);

    /// <summary>Fails a call that never started (the portal stopped first).</summary>
    public abstract void Reject(Exception error);
}

/// <inheritdoc />
internal sealed class PortalCall<T>(Func<CancellationToken, Task<T>> work, CancellationToken callerToken) : PortalCall
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<T> Task => _completion.Task;

    [SuppressMessage("Design", "CA1031", Justification = "Every exception of the work, whatever its type, is handed to the caller intact.")]
    public override async Task RunAsync(CancellationToken portalToken)
    {
        try
        {
            if (callerToken.CanBeCanceled)
            {
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(portalToken, callerToken);
                _completion.TrySetResult(await work(linked.Token));
            }
            else
            {
                _completion.TrySetResult(await work(portalToken));
            }
        }
        catch (Exception error)
        {
            // The same exception object, so its type, message and stack trace reach the caller unchanged.
            _completion.TrySetException(error);
        }
    }

    public override void Reject(Exception error) => _completion.TrySetException(error);
}
