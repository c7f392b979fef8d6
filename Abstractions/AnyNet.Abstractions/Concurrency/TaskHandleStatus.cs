namespace AnyNet;

/// <summary>Where a task group child is in its life.</summary>
public enum TaskHandleStatus
{
    /// <summary>Started into the group but not yet run (children start when the parent next yields).</summary>
    Pending,

    /// <summary>Running.</summary>
    Running,

    /// <summary>Returned normally.</summary>
    Completed,

    /// <summary>Threw an error (also reported to the group).</summary>
    Faulted,

    /// <summary>Ended by cancellation.</summary>
    Cancelled,
}
