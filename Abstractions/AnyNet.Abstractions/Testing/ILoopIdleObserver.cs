namespace AnyNet.Testing;

/// <summary>
/// Implemented by a clock that wants to know when a backend's loop has run out of work, so that it can jump virtual
/// time forward (<see cref="ManualTimeProvider.AutoAdvance"/>). A loop backend whose <see cref="IAsyncBackend.TimeProvider"/>
/// implements this interface calls it; other backends ignore it.
/// </summary>
/// <remarks>
/// The protocol for a loop backend:
/// <list type="number">
/// <item>When the loop starts, call <see cref="AttachLoop"/> with the loop's <see cref="SynchronizationContext"/>, and
/// dispose the result when the loop ends. From then on the clock stops guessing when that loop is idle.</item>
/// <item>Each time the loop finds its run queue empty and is about to block (in <c>epoll_wait</c>, <c>uv_run</c>...),
/// call <see cref="OnLoopIdle"/> on the loop thread, without holding a lock. If it returns true, timers fired (and may
/// have posted work): drain the run queue again before blocking. If it returns false, block as usual.</item>
/// </list>
/// </remarks>
public interface ILoopIdleObserver
{
    /// <summary>
    /// Declares that the loop behind <paramref name="loopContext"/> will call <see cref="OnLoopIdle"/> whenever it is idle.
    /// </summary>
    /// <param name="loopContext">The loop's synchronization context (the one its user code runs under).</param>
    /// <returns>Dispose it when the loop stops.</returns>
    IDisposable AttachLoop(SynchronizationContext loopContext);

    /// <summary>Called on the loop thread when its run queue is empty, just before it blocks.</summary>
    /// <returns>True if the clock moved and timers fired: the loop should look at its run queue again before blocking.</returns>
    bool OnLoopIdle();
}
