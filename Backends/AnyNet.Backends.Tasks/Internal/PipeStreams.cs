namespace AnyNet.Backends.Tasks.Internal;

/// <summary>
/// One end of a child's stdio pipe over the <see cref="Stream"/> that <see cref="System.Diagnostics.Process"/> opened
/// (on Unix a pipe stream on the runtime's own epoll engine), with the contract's busy, closed and broken rules.
/// </summary>
internal sealed class PipeStreamEnd : IByteSendStream, IByteReceiveStream
{
    private readonly Stream _stream;
    private readonly string _name;
    private int _busy;
    private int _closed;

    public PipeStreamEnd(Stream stream, string name)
    {
        _stream = stream;
        _name = name;
    }

    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Enter("receiving");
        try
        {
            return await _stream.ReadAsync(buffer, cancellationToken);
        }
        catch (ObjectDisposedException) when (Volatile.Read(ref _closed) != 0)
        {
            throw new ClosedResourceException($"The child's {_name} pipe was closed.");
        }
        catch (IOException error)
        {
            throw new BrokenResourceException($"Reading the child's {_name} failed: {error.Message}", error);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Enter("sending");
        try
        {
            if (data.IsEmpty)
            {
                return;
            }

            await _stream.WriteAsync(data, cancellationToken);
            await _stream.FlushAsync(cancellationToken);
        }
        catch (ObjectDisposedException) when (Volatile.Read(ref _closed) != 0)
        {
            throw new ClosedResourceException($"The child's {_name} pipe was closed.");
        }
        catch (IOException error)
        {
            // EPIPE: the child closed its end (or exited).
            throw new BrokenResourceException($"Writing to the child's {_name} failed: {error.Message}", error);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            try
            {
                _stream.Dispose();
            }
            catch (IOException)
            {
                // Flushing into a pipe whose reader is gone: closing is all that was asked.
            }
        }

        return ValueTask.CompletedTask;
    }

    private void Enter(string operation)
    {
        if (Volatile.Read(ref _closed) != 0)
        {
            throw new ClosedResourceException($"The child's {_name} pipe was closed.");
        }

        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            throw BusyResourceException.For(operation);
        }
    }
}
