namespace AnyNet.Internal;

/// <summary>
/// One direction of a <see cref="MemoryByteStream"/> pair: a bounded ring buffer with at most one waiting reader and
/// one waiting writer. All state changes happen under one lock; waiters are woken outside it.
/// </summary>
internal sealed class ByteBuffer(int capacity)
{
    private readonly Lock _gate = new();
    private readonly byte[] _ring = new byte[capacity];
    private int _start;
    private int _count;
    private bool _writeCompleted;   // SendEofAsync, or the writing end was disposed
    private bool _writerClosed;     // the writing end was disposed
    private bool _readerClosed;     // the reading end was disposed
    private bool _reading;
    private bool _writing;
    private TaskCompletionSource? _readerWaiter;
    private TaskCompletionSource? _writerWaiter;

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            ThrowIfReaderClosed();
            cancellationToken.ThrowIfCancellationRequested();
            if (_reading)
            {
                throw BusyResourceException.For("receiving");
            }

            _reading = true;
        }

        try
        {
            while (true)
            {
                TaskCompletionSource waiter;
                TaskCompletionSource? wakeWriter = null;
                lock (_gate)
                {
                    ThrowIfReaderClosed();
                    if (_count > 0 || _writeCompleted)
                    {
                        int taken = Take(buffer.Span);
                        if (taken > 0)
                        {
                            (wakeWriter, _writerWaiter) = (_writerWaiter, null);
                        }

                        wakeWriter?.TrySetResult();
                        return taken;
                    }

                    waiter = _readerWaiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                await waiter.Task.WaitAsync(cancellationToken);
            }
        }
        finally
        {
            lock (_gate)
            {
                _reading = false;
                _readerWaiter = null;
            }
        }
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            ThrowIfWriterClosed();
            cancellationToken.ThrowIfCancellationRequested();
            if (_writing)
            {
                throw BusyResourceException.For("sending");
            }

            _writing = true;
        }

        try
        {
            while (true)
            {
                TaskCompletionSource waiter;
                TaskCompletionSource? wakeReader = null;
                lock (_gate)
                {
                    ThrowIfWriterClosed();
                    if (_readerClosed)
                    {
                        throw new BrokenResourceException("The peer closed its end of the stream.", new IOException("The receiving end of the in-memory stream was disposed."));
                    }

                    int put = Put(data.Span);
                    data = data[put..];
                    if (put > 0)
                    {
                        (wakeReader, _readerWaiter) = (_readerWaiter, null);
                    }

                    if (data.IsEmpty)
                    {
                        wakeReader?.TrySetResult();
                        return;
                    }

                    waiter = _writerWaiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                wakeReader?.TrySetResult();
                await waiter.Task.WaitAsync(cancellationToken);
            }
        }
        finally
        {
            lock (_gate)
            {
                _writing = false;
                _writerWaiter = null;
            }
        }
    }

    public void CompleteWriting()
    {
        TaskCompletionSource? wake;
        lock (_gate)
        {
            ThrowIfWriterClosed(allowCompleted: true);
            if (_writing)
            {
                // Ending the stream under a send that is still waiting would truncate it silently.
                throw BusyResourceException.For("sending");
            }

            _writeCompleted = true;
            (wake, _readerWaiter) = (_readerWaiter, null);
        }

        wake?.TrySetResult();
    }

    public void CloseWriter()
    {
        TaskCompletionSource? wakeReader;
        TaskCompletionSource? wakeWriter;
        lock (_gate)
        {
            _writerClosed = true;
            _writeCompleted = true;
            (wakeReader, _readerWaiter) = (_readerWaiter, null);
            (wakeWriter, _writerWaiter) = (_writerWaiter, null);
        }

        wakeReader?.TrySetResult();
        wakeWriter?.TrySetResult();
    }

    public void CloseReader()
    {
        TaskCompletionSource? wakeReader;
        TaskCompletionSource? wakeWriter;
        lock (_gate)
        {
            _readerClosed = true;
            _count = 0;
            (wakeReader, _readerWaiter) = (_readerWaiter, null);
            (wakeWriter, _writerWaiter) = (_writerWaiter, null);
        }

        wakeReader?.TrySetResult();
        wakeWriter?.TrySetResult();
    }

    private void ThrowIfReaderClosed()
    {
        if (_readerClosed)
        {
            throw new ClosedResourceException("This stream was closed.");
        }
    }

    private void ThrowIfWriterClosed(bool allowCompleted = false)
    {
        if (_writerClosed)
        {
            throw new ClosedResourceException("This stream was closed.");
        }

        if (_writeCompleted && !allowCompleted)
        {
            throw new ClosedResourceException("This stream's sending side was closed by SendEofAsync.");
        }
    }

    private int Take(Span<byte> destination)
    {
        int taken = Math.Min(destination.Length, _count);
        for (int copied = 0; copied < taken;)
        {
            int run = Math.Min(taken - copied, _ring.Length - _start);
            _ring.AsSpan(_start, run).CopyTo(destination[copied..]);
            copied += run;
            _start = (_start + run) % _ring.Length;
        }

        _count -= taken;
        return taken;
    }

    private int Put(ReadOnlySpan<byte> source)
    {
        int put = Math.Min(source.Length, _ring.Length - _count);
        for (int copied = 0; copied < put;)
        {
            int end = (_start + _count) % _ring.Length;
            int run = Math.Min(put - copied, _ring.Length - end);
            source.Slice(copied, run).CopyTo(_ring.AsSpan(end, run));
            copied += run;
            _count += run;
        }

        return put;
    }
}
