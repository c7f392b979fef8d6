namespace AnyNet;

/// <summary>A snapshot of an <see cref="AsyncCondition"/>.</summary>
/// <param name="WaitingCount">How many tasks wait for a notification.</param>
/// <param name="LockStatistics">The statistics of the condition's lock.</param>
public readonly record struct ConditionStatistics(int WaitingCount, LockStatistics LockStatistics);
