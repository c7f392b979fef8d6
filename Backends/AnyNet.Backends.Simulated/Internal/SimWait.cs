namespace AnyNet.Backends.Simulated.Internal;

/// <summary>Waiting on the scheduler thread: a signal whose cancellation is also delivered on that thread.</summary>
internal static class SimWait
{
    public static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Waits for <paramref name="signal"/>; a cancellation (from any thread) cancels it from the scheduler thread.</summary>
    public static async Task WaitAsync(SimLoop loop, TaskCompletionSource signal, CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled)
        {
            await signal.Task;
            return;
        }

        using (cancellationToken.UnsafeRegister(static (s, token) =>
        {
            var (loop, signal) = ((SimLoop, TaskCompletionSource))s!;
            loop.Execute(() => signal.TrySetCanceled(token), entry: true);
        }, (loop, signal)))
        {
            await signal.Task;
        }
    }
}
