using AnyNet.Internal;

namespace AnyNet;

/// <summary>
/// The state shared by every clone of both ends of one memory object stream: the buffer, the blocked senders and
/// receivers, and how many ends are open. One lock guards it all.
/// </summary>
/// <remarks>
/// Invariants: receivers wait only while the buffer is empty and no sender waits; senders wait only while the buffer is
/// full. A receive first takes from the buffer and refills it from the first blocked sender, or (capacity 0, empty
/// buffer) takes straight from that sender: that is the rendezvous. An item is handed over under the lock by removing
/// the waiter from its queue, and a cancellation removes the waiter under the same lock, so every item goes to exactly
/// one receiver, and a cancelled operation either happened completely or not at all.
/// </remarks>
internal sealed class MemoryObjectStreamState<T>
{
    private readonly Lock _gate = new();
    private readonly Queue<T> _buffer = new();
    private readonly WaitQueue<SendWaiter> _senders = new();
    private readonly WaitQueue<ReceiveWaiter> _receivers = new();
    private readonly int _maxBufferSize;
    private int _openSendStreams = 1;
    private int _openReceiveStreams = 1;

    public MemoryObjectStreamState(int maxBufferSize) => _maxBufferSize = maxBufferSize;

    public MemoryObjectStreamStatistics GetStatistics()
    {
        lock (_gate)
        {
            return new MemoryObjectStreamStatistics(
                _buffer.Count,
                _maxBufferSize == int.MaxValue ? null : _maxBufferSize,
                _openSendStreams,
                _openReceiveStreams,
                _senders.Count,
                _receivers.Count);
        }
    }

    /// <summary>Sends without waiting; returns false if the item could not be taken now.</summary>
    public bool TrySend(End sender, T item)
    {
        lock (_gate)
        {
            return TrySendLocked(sender, item);
        }
    }

    public ValueTask SendAsync(End sender, T item, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        SendWaiter waiter;
        lock (_gate)
        {
            if (TrySendLocked(sender, item))
            {
                return ValueTask.CompletedTask;
            }

            waiter = new SendWaiter(this, sender, item);
            _senders.Enqueue(waiter);
        }

        return waiter.WaitAsync(cancellationToken);
    }

    /// <summary>Receives without waiting: true with an item, false with no item yet; throws at the end of the stream.</summary>
    public bool TryReceive(End receiver, out T item)
    {
        lock (_gate)
        {
            return TryReceiveLocked(receiver, out item, out bool ended) || (ended ? throw new EndOfStreamException() : false);
        }
    }

    /// <summary>Receives an item; the result has no item at the end of the stream.</summary>
    public ValueTask<ReceiveResult> ReceiveAsync(End receiver, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<ReceiveResult>(cancellationToken);
        }

        ReceiveWaiter waiter;
        lock (_gate)
        {
            if (TryReceiveLocked(receiver, out T item, out bool ended))
            {
                return new ValueTask<ReceiveResult>(new ReceiveResult(true, item));
            }

            if (ended)
            {
                return new ValueTask<ReceiveResult>(default(ReceiveResult));
            }

            waiter = new ReceiveWaiter(this, receiver);
            _receivers.Enqueue(waiter);
        }

        return waiter.WaitAsync(cancellationToken);
    }

    /// <summary>Opens another clone of the end <paramref name="original"/> belongs to.</summary>
    public End Clone(End original)
    {
        lock (_gate)
        {
            if (original.IsClosed)
            {
                throw new ClosedResourceException("A closed stream cannot be cloned.");
            }

            if (original.IsSendEnd)
            {
                _openSendStreams++;
            }
            else
            {
                _openReceiveStreams++;
            }

            return new End(original.IsSendEnd);
        }
    }

    /// <summary>Closes one send clone: its blocked sends fail; the last one ends every receiver once the buffer drains.</summary>
    public void CloseSender(End sender)
    {
        List<SendWaiter> own;
        List<ReceiveWaiter> ended = [];
        lock (_gate)
        {
            if (sender.IsClosed)
            {
                return;
            }

            sender.IsClosed = true;
            own = _senders.RemoveAll(w => ReferenceEquals(w.Owner, sender));
            if (--_openSendStreams == 0)
            {
                ended = _receivers.RemoveAll(static _ => true);
            }
        }

        foreach (SendWaiter waiter in own)
        {
            waiter.Fail(new ClosedResourceException("This send stream was closed while the send was waiting."));
        }

        foreach (ReceiveWaiter waiter in ended)
        {
            waiter.Complete(default);
        }
    }

    /// <summary>Closes one receive clone: its blocked receives fail; the last one breaks every sender and drops the buffer.</summary>
    public void CloseReceiver(End receiver)
    {
        List<ReceiveWaiter> own;
        List<SendWaiter> broken = [];
        lock (_gate)
        {
            if (receiver.IsClosed)
            {
                return;
            }

            receiver.IsClosed = true;
            own = _receivers.RemoveAll(w => ReferenceEquals(w.Owner, receiver));
            if (--_openReceiveStreams == 0)
            {
                broken = _senders.RemoveAll(static _ => true);
                _buffer.Clear();
            }
        }

        foreach (ReceiveWaiter waiter in own)
        {
            waiter.Fail(new ClosedResourceException("This receive stream was closed while the receive was waiting."));
        }

        foreach (SendWaiter waiter in broken)
        {
            waiter.Fail(new BrokenResourceException("Every receive stream was closed; nobody can receive this item."));
        }
    }

    private bool TrySendLocked(End sender, T item)
    {
        if (sender.IsClosed)
        {
            throw new ClosedResourceException("This send stream was closed.");
        }

        if (_openReceiveStreams == 0)
        {
            throw new BrokenResourceException("Every receive stream was closed; nobody can receive this item.");
        }

        if (_receivers.Dequeue() is ReceiveWaiter receiver)
        {
            receiver.Complete(new ReceiveResult(true, item));
            return true;
        }

        if (_buffer.Count < _maxBufferSize)
        {
            _buffer.Enqueue(item);
            return true;
        }

        return false;
    }

    private bool TryReceiveLocked(End receiver, out T item, out bool ended)
    {
        if (receiver.IsClosed)
        {
            throw new ClosedResourceException("This receive stream was closed.");
        }

        ended = false;
        if (_buffer.TryDequeue(out item!))
        {
            if (_senders.Dequeue() is SendWaiter sender)
            {
                _buffer.Enqueue(sender.Item);
                sender.Complete();
            }

            return true;
        }

        if (_senders.Dequeue() is SendWaiter direct)
        {
            item = direct.Item;
            direct.Complete();
            return true;
        }

        ended = _openSendStreams == 0;
        return false;
    }

    /// <summary>One clone of one end: its identity for the waiters it owns, and whether it is closed (guarded by the state's lock).</summary>
    internal sealed class End(bool isSendEnd)
    {
        private volatile bool _closed;

        public bool IsSendEnd { get; } = isSendEnd;

        /// <summary>Written only under the state's lock; read without it by <c>IsClosed</c> of the public ends.</summary>
        public bool IsClosed
        {
            get => _closed;
            set => _closed = value;
        }
    }

    /// <summary>An item, or the end of the stream when <see cref="HasItem"/> is false.</summary>
    internal readonly record struct ReceiveResult(bool HasItem, T Item);

    private sealed class SendWaiter(MemoryObjectStreamState<T> state, End owner, T item) : WaitNode
    {
        private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public End Owner { get; } = owner;

        public T Item { get; } = item;

        public void Complete() => _completion.TrySetResult();

        public void Fail(Exception error) => _completion.TrySetException(error);

        public async ValueTask WaitAsync(CancellationToken cancellationToken)
        {
            using (cancellationToken.UnsafeRegister(static (s, token) => ((SendWaiter)s!).Cancel(token), this))
            {
                await _completion.Task;
            }
        }

        private void Cancel(CancellationToken cancellationToken)
        {
            lock (state._gate)
            {
                if (!state._senders.Remove(this))
                {
                    return;
                }
            }

            _completion.TrySetCanceled(cancellationToken);
        }
    }

    private sealed class ReceiveWaiter(MemoryObjectStreamState<T> state, End owner) : WaitNode
    {
        private readonly TaskCompletionSource<ReceiveResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public End Owner { get; } = owner;

        public void Complete(ReceiveResult result) => _completion.TrySetResult(result);

        public void Fail(Exception error) => _completion.TrySetException(error);

        public async ValueTask<ReceiveResult> WaitAsync(CancellationToken cancellationToken)
        {
            using (cancellationToken.UnsafeRegister(static (s, token) => ((ReceiveWaiter)s!).Cancel(token), this))
            {
                return await _completion.Task;
            }
        }

        private void Cancel(CancellationToken cancellationToken)
        {
            lock (state._gate)
            {
                if (!state._receivers.Remove(this))
                {
                    return;
                }
            }

            _completion.TrySetCanceled(cancellationToken);
        }
    }
}
