namespace AnyNet;

/// <summary>
/// Every real error of a task group's body and children, in the order they happened. Cancellation exceptions are
/// dropped when a real error exists (they are consequences of it).
/// </summary>
public sealed class TaskGroupException : AggregateException
{
    /// <summary>Creates the exception holding <paramref name="errors"/>.</summary>
    public TaskGroupException(IEnumerable<Exception> errors)
        : base("One or more tasks of a task group failed.", errors)
    {
    }

    /// <summary>Creates an empty exception.</summary>
    public TaskGroupException() : base("One or more tasks of a task group failed.") { }

    /// <summary>Creates the exception with a message.</summary>
    public TaskGroupException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and one error.</summary>
    public TaskGroupException(string message, Exception innerException) : base(message, innerException) { }
}
