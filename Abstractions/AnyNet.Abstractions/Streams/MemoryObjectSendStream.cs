namespace AnyNet;

/// <summary>
/// The send end of a memory object stream (see <see cref="MemoryObjectStream"/>). Clones share the stream; the
/// receivers see the end of the stream only when every clone is closed. Thread-safe.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed class MemoryObjectSendStream<T> : IObjectSendStream<T>, IDisposable
{
    private readonly MemoryObjectStreamState<T> _state;
    private readonly MemoryObjectStreamState<T>.End _end;

    internal MemoryObjectSendStream(MemoryObjectStreamState<T> state, MemoryObjectStreamState<T>.End end)
    {
        _state = state;
        _end = end;
    }

    /// <summary>True once this clone was closed.</summary>
    public bool IsClosed => _end.IsClosed;

    /// <summary>
    /// Sends <paramref name="item"/>: hands it to a waiting receiver or buffers it, else waits (FIFO) until a receiver takes
    /// it or buffer space frees.
    /// </summary>
    /// <remarks>
    /// A cancelled send left nothing behind: the item is in the stream only if the send returned normally. If a receiver
    /// took the item before the cancellation, the send returns normally.
    /// </remarks>
    /// <exception cref="ClosedResourceException">This clone was closed (also while the send was waiting).</exception>
    /// <exception cref="BrokenResourceException">Every receive end was closed (also while the send was waiting).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the item was taken.</exception>
    public ValueTask SendAsync(T item, CancellationToken cancellationToken = default) => _state.SendAsync(_end, item, cancellationToken);

    /// <summary>Sends <paramref name="item"/> only if that needs no waiting (AnyIO <c>send_nowait</c>).</summary>
    /// <exception cref="WouldBlockException">No receiver waits and the buffer is full.</exception>
    /// <exception cref="ClosedResourceException">This clone was closed.</exception>
    /// <exception cref="BrokenResourceException">Every receive end was closed.</exception>
    public void SendNowait(T item)
    {
        if (!_state.TrySend(_end, item))
        {
            throw new WouldBlockException("The buffer is full and no receiver is waiting.");
        }
    }

    /// <summary>Sends <paramref name="item"/> if that needs no waiting.</summary>
    /// <returns>False if no receiver waits and the buffer is full.</returns>
    /// <exception cref="ClosedResourceException">This clone was closed.</exception>
    /// <exception cref="BrokenResourceException">Every receive end was closed.</exception>
    public bool TrySend(T item) => _state.TrySend(_end, item);

    /// <summary>Opens another send end on the same stream; it must be closed too before receivers see the end.</summary>
    /// <exception cref="ClosedResourceException">This clone was closed.</exception>
    public MemoryObjectSendStream<T> Clone() => new(_state, _state.Clone(_end));

    /// <summary>
    /// Closes this clone: its waiting sends fail with <see cref="ClosedResourceException"/>; when it was the last open send
    /// end, receivers get what is buffered, then the end of the stream. Closing twice does nothing.
    /// </summary>
    public void Close() => _state.CloseSender(_end);

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
}
