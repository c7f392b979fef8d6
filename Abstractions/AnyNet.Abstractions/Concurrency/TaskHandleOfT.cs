namespace AnyNet;

/// <summary>A task group child that produces a value.</summary>
/// <typeparam name="T">The child's result type.</typeparam>
public sealed class TaskHandle<T> : TaskHandle
{
    private T? _result;

    internal TaskHandle(string? name, CancellationToken groupToken) : base(name, groupToken) { }

    /// <summary>The child's result.</summary>
    /// <exception cref="InvalidOperationException">The child has not completed successfully.</exception>
    public T Result => Status == TaskHandleStatus.Completed
        ? _result!
        : throw new InvalidOperationException($"The task has no result: its status is {Status}.");

    internal void SetResult(T value) => _result = value;
}
