namespace AnyNet;

/// <summary>A snapshot of an <see cref="AsyncEvent"/>.</summary>
/// <param name="WaitingCount">How many tasks are waiting for the event.</param>
public readonly record struct EventStatistics(int WaitingCount);
