namespace AnyNet.Backends;

/// <summary>
/// The bookkeeping every backend needs around <see cref="IAsyncBackend.RunAsync{T}"/>: refuse work after disposal,
/// give each <c>main</c> a token that disposal cancels, and let disposal wait until every <c>main</c> has ended.
/// </summary>
public sealed class BackendLifetime : IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _backendName;
    private int _running;
    private int _stopRequested;

    /// <summary>Creates the lifetime of a backend named <paramref name="backendName"/> (used in error messages).</summary>
    public BackendLifetime(string backendName) => _backendName = backendName;

    /// <summary>Cancelled when disposal begins.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>True once disposal has begun.</summary>
    public bool IsStopping => Volatile.Read(ref _stopRequested) != 0;

    /// <summary>Throws <see cref="ObjectDisposedException"/> naming the backend if disposal has begun.</summary>
    public void ThrowIfStopping()
    {
        if (IsStopping)
        {
            throw new ObjectDisposedException(_backendName, $"The '{_backendName}' backend was disposed.");
        }
    }

    /// <summary>
    /// Runs <paramref name="main"/> through <paramref name="schedule"/> (which puts it on the backend's scheduler), with a
    /// token cancelled by <paramref name="cancellationToken"/> or by disposal.
    /// </summary>
    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> main, Func<Func<Task<T>>, Task<T>> schedule, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(main);
        ArgumentNullException.ThrowIfNull(schedule);
        ThrowIfStopping();
        Interlocked.Increment(ref _running);
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
            CancellationToken token = linked.Token;
            return await schedule(() => main(token)).ConfigureAwait(false);
        }
        finally
        {
            if (Interlocked.Decrement(ref _running) == 0 && IsStopping)
            {
                _idle.TrySetResult();
            }
        }
    }

    /// <summary>Begins disposal: cancels every running <c>main</c> and completes when all have ended.</summary>
    public Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopRequested, 1) == 0)
        {
            _stopping.Cancel();
            if (Volatile.Read(ref _running) == 0)
            {
                _idle.TrySetResult();
            }
        }

        return _idle.Task;
    }

    /// <inheritdoc />
    public void Dispose() => _stopping.Dispose();
}
