namespace AnyNet;

/// <summary>A snapshot of an <see cref="AsyncLock"/>.</summary>
/// <param name="IsLocked">True while some task holds the lock.</param>
/// <param name="OwnerId">The <see cref="LockHandle.Id"/> of the handle that holds the lock, or null.</param>
/// <param name="WaitingCount">How many tasks wait to acquire the lock.</param>
public readonly record struct LockStatistics(bool IsLocked, long? OwnerId, int WaitingCount);
