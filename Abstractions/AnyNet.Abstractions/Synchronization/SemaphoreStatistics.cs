namespace AnyNet;

/// <summary>A snapshot of an <see cref="AsyncSemaphore"/>.</summary>
/// <param name="CurrentValue">How many units are free.</param>
/// <param name="MaxValue">The most units the semaphore may hold, or null for no bound.</param>
/// <param name="WaitingCount">How many tasks wait for a unit.</param>
public readonly record struct SemaphoreStatistics(int CurrentValue, int? MaxValue, int WaitingCount);
