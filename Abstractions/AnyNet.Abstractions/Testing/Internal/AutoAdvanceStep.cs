namespace AnyNet.Testing.Internal;

/// <summary>
/// One pending auto-advance of a <see cref="ManualTimeProvider"/>, posted to the scheduler that armed a timer (its
/// synchronization context, or the thread pool). It runs after the work already queued there.
/// </summary>
internal sealed class AutoAdvanceStep(ManualTimeProvider owner, SynchronizationContext? context, long seenActivity)
{
    public SynchronizationContext? Context => context;

    /// <summary>The provider's activity count when the step was (re)posted; guarded by the provider's lock.</summary>
    public long SeenActivity { get; set; } = seenActivity;

    public void Post()
    {
        if (context is not null)
        {
            try
            {
                context.Post(static s => ((AutoAdvanceStep)s!).Run(), this);
                return;
            }
            catch (InvalidOperationException)
            {
                // The loop behind the context has stopped (ObjectDisposedException included): the thread pool takes over.
            }
        }

        ThreadPool.UnsafeQueueUserWorkItem(static s => s.Run(), this, preferLocal: false);
    }

    private void Run() => owner.RunAutoAdvanceStep(this);
}
