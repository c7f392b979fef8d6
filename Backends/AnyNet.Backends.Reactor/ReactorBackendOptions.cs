namespace AnyNet.Backends.Reactor;

/// <summary>Options for <see cref="ReactorBackend"/>.</summary>
public sealed record ReactorBackendOptions
{
    /// <summary>How many epoll events one epoll_wait call may return. Default 256.</summary>
    public int EventBatchSize { get; init; } = 256;

    /// <summary>The name of the loop thread (shown in debuggers and dumps). Default "AnyNet reactor".</summary>
    public string ThreadName { get; init; } = "AnyNet reactor";

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
