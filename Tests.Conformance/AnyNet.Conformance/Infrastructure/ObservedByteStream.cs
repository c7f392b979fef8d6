namespace AnyNet.Conformance;

/// <summary>
/// Passes everything through to a wrapped stream and counts the bytes it received, so a test can wait until a wrapper
/// above it has really taken a chunk off the wire (to force a delimiter or a character to be split across receives)
/// without sleeping.
/// </summary>
public sealed class ObservedByteStream(IByteStream inner) : IByteStream
{
    private readonly Lock _gate = new();
    private readonly List<(long Count, TaskCompletionSource Done)> _waiters = [];
    private long _received;
    private int _receiveCalls;

    /// <summary>Bytes received through this stream so far.</summary>
    public long Received
    {
        get
        {
            lock (_gate)
            {
                return _received;
            }
        }
    }

    /// <summary>How many receives were started on this stream (including waiting ones).</summary>
    public int ReceiveCalls => Volatile.Read(ref _receiveCalls);

    /// <summary>Completes once at least <paramref name="count"/> bytes were received through this stream.</summary>
    public Task WaitForReceivedAsync(long count, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_received >= count)
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, done));
            return done.Task.WaitAsync(cancellationToken);
        }
    }

    /// <inheritdoc />
    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _receiveCalls);
        int n = await inner.ReceiveAsync(buffer, cancellationToken);
        List<TaskCompletionSource>? wake = null;
        lock (_gate)
        {
            _received += n;
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Count <= _received)
                {
                    (wake ??= []).Add(_waiters[i].Done);
                    _waiters.RemoveAt(i);
                }
            }
        }

        wake?.ForEach(done => done.TrySetResult());
        return n;
    }

    /// <inheritdoc />
    public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) => inner.SendAsync(data, cancellationToken);

    /// <inheritdoc />
    public ValueTask SendEofAsync(CancellationToken cancellationToken = default) => inner.SendEofAsync(cancellationToken);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
