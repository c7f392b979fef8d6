namespace AnyNet.Testing.Internal;

/// <summary>
/// A timer of a <see cref="ManualTimeProvider"/>. Its scheduling state is owned by the provider and changed only under
/// the provider's lock; the timer itself just forwards to it.
/// </summary>
internal sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
{
    /// <summary>Orders armed timers by due time, then by the order they were armed in.</summary>
    public static readonly IComparer<ManualTimer> DueOrder = Comparer<ManualTimer>.Create(static (a, b) =>
    {
        int byDue = a.DueTicks.CompareTo(b.DueTicks);
        return byDue != 0 ? byDue : a.Sequence.CompareTo(b.Sequence);
    });

    // Guarded by the provider's lock.
    public long DueTicks;
    public long PeriodTicks;
    public long Sequence;
    public bool Armed;
    public bool Disposed;

    public bool Change(TimeSpan dueTime, TimeSpan period) => owner.ChangeTimer(this, dueTime, period);

    public void Dispose() => owner.DisposeTimer(this);

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    public void Fire() => callback(state);
}
