namespace AnyNet;

/// <summary>
/// The receive end of a memory object stream (see <see cref="MemoryObjectStream"/>). Each item goes to exactly one
/// receiver, also across clones and concurrent receives; <c>await foreach</c> receives until the end of the stream.
/// Thread-safe.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed class MemoryObjectReceiveStream<T> : IObjectReceiveStream<T>, IDisposable
{
    private readonly MemoryObjectStreamState<T> _state;
    private readonly MemoryObjectStreamState<T>.End _end;

    internal MemoryObjectReceiveStream(MemoryObjectStreamState<T> state, MemoryObjectStreamState<T>.End end)
    {
        _state = state;
        _end = end;
    }

    /// <summary>True once this clone was closed.</summary>
    public bool IsClosed => _end.IsClosed;

    /// <summary>Receives the next item, waiting (FIFO among receivers) until one is sent.</summary>
    /// <remarks>
    /// A cancelled receive consumed nothing. An item handed to this receive before the cancellation is returned, never
    /// dropped.
    /// </remarks>
    /// <exception cref="EndOfStreamException">Every send end was closed and the buffer is drained.</exception>
    /// <exception cref="ClosedResourceException">This clone was closed (also while the receive was waiting).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before an item was handed over.</exception>
    public async ValueTask<T> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        MemoryObjectStreamState<T>.ReceiveResult result = await _state.ReceiveAsync(_end, cancellationToken);
        return result.HasItem ? result.Item : throw new EndOfStreamException("Every send stream was closed and everything sent was received.");
    }

    /// <summary>
    /// Receives an item only if that needs no waiting (AnyIO <c>receive_nowait</c>): from the buffer, or straight from a
    /// blocked sender, which is then unblocked.
    /// </summary>
    /// <exception cref="WouldBlockException">No item is buffered and no sender waits.</exception>
    /// <exception cref="EndOfStreamException">Every send end was closed and the buffer is drained.</exception>
    /// <exception cref="ClosedResourceException">This clone was closed.</exception>
    public T ReceiveNowait() =>
        _state.TryReceive(_end, out T item) ? item : throw new WouldBlockException("No item is buffered and no sender is waiting.");

    /// <summary>Receives an item if that needs no waiting.</summary>
    /// <returns>False if no item is buffered and no sender waits.</returns>
    /// <exception cref="EndOfStreamException">Every send end was closed and the buffer is drained.</exception>
    /// <exception cref="ClosedResourceException">This clone was closed.</exception>
    public bool TryReceive(out T item) => _state.TryReceive(_end, out item);

    /// <summary>Opens another receive end on the same stream; it must be closed too before senders see the stream broken.</summary>
    /// <exception cref="ClosedResourceException">This clone was closed.</exception>
    public MemoryObjectReceiveStream<T> Clone() => new(_state, _state.Clone(_end));

    /// <summary>
    /// Closes this clone: its waiting receives fail with <see cref="ClosedResourceException"/>; when it was the last open
    /// receive end, the buffer is dropped and every sender, waiting or later, gets <see cref="BrokenResourceException"/>.
    /// Closing twice does nothing.
    /// </summary>
    public void Close() => _state.CloseReceiver(_end);

    /// <summary>Closes this clone; see <see cref="Close"/>.</summary>
    public void Dispose() => Close();

    /// <summary>Closes this clone; see <see cref="Close"/>.</summary>
    public ValueTask DisposeAsync()
    {
        Close();
        return ValueTask.CompletedTask;
    }

    /// <summary>A snapshot of the stream shared by every clone of both ends.</summary>
    public MemoryObjectStreamStatistics GetStatistics() => _state.GetStatistics();

    /// <summary>Receives items until the end of the stream, then stops.</summary>
    /// <exception cref="ClosedResourceException">This clone was closed.</exception>
    public async IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            MemoryObjectStreamState<T>.ReceiveResult result = await _state.ReceiveAsync(_end, cancellationToken);
            if (!result.HasItem)
            {
                yield break;
            }

            yield return result.Item;
        }
    }
}
