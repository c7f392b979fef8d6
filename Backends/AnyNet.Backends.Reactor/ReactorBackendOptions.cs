namespace AnyNet.Backends.Reactor;

/// <summary>Options for <see cref="ReactorBackend"/>.</summary>
public sealed record ReactorBackendOptions
{
    /// <summary>How many epoll events one epoll_wait call may return. Default 256.</summary>
    public int EventBatchSize { get; init; } = 256;

    /// <summary>The name of the loop thread (shown in debuggers and dumps). Default "AnyNet reactor".</summary>
    public string ThreadName { get; init; } = "AnyNet reactor";

    /// <summary>
    /// The clock for sleeps, deadlines and timeouts. Null (the default): the loop's own timer heap on the monotonic
    /// clock. A test clock such as <see cref="Testing.ManualTimeProvider"/> runs them in virtual time; if it implements
    /// <see cref="Testing.ILoopIdleObserver"/> the loop tells it whenever it runs out of work, so it can jump ahead.
    /// </summary>
    public TimeProvider? TimeProvider { get; init; }

    /// <summary>Validates the options and throws <see cref="ArgumentOutOfRangeException"/> naming a bad value.</summary>
    public void Validate()
    {
        if (EventBatchSize is <= 0 or > 65536)
        {
            throw new ArgumentOutOfRangeException(nameof(EventBatchSize), EventBatchSize, "The epoll batch size must be between 1 and 65536.");
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(ThreadName);
    }
}
