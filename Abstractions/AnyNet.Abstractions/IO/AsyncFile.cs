using Microsoft.Win32.SafeHandles;

namespace AnyNet.IO;

/// <summary>
/// An open file as a byte stream: receives read from <see cref="Position"/> onwards (0 at the end of the file), sends
/// write at <see cref="Position"/>, and both advance it. Each call is one positioned read or write (pread/pwrite) on a
/// worker thread under the file's limiter. A file has no half-close: <see cref="SendEofAsync"/> only ends sending.
/// </summary>
public sealed class AsyncFile : IByteStream
{
    private readonly SafeFileHandle _handle;
    private readonly FileAccess _access;
    private readonly CapacityLimiter? _limiter;
    private int _receiving;
    private int _sending;
    private bool _sendClosed;
    private int _closed;

    internal AsyncFile(SafeFileHandle handle, string path, FileAccess access, long position, CapacityLimiter? limiter)
    {
        _handle = handle;
        _access = access;
        _limiter = limiter;
        Path = path;
        Position = position;
    }

    /// <summary>The path the file was opened with.</summary>
    public string Path { get; }

    /// <summary>Where the next receive reads and the next send writes.</summary>
    public long Position { get; set; }

    /// <summary>The raw handle (a file descriptor on Unix), for calls this class does not offer.</summary>
    public SafeFileHandle Handle => _handle;

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">The file was not opened for reading.</exception>
    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfClosed();
        if ((_access & FileAccess.Read) == 0)
        {
            throw new NotSupportedException($"The file '{Path}' was not opened for reading.");
        }

        if (Interlocked.Exchange(ref _receiving, 1) != 0)
        {
            throw BusyResourceException.For("receiving");
        }

        try
        {
            if (buffer.IsEmpty)
            {
                return 0;
            }

            long position = Position;
            int read = await Threads.RunOnThreadAsync(_ => RandomAccess.Read(_handle, buffer.Span, position), _limiter, cancellationToken: cancellationToken);
            Position = position + read;
            return read;
        }
        finally
        {
            Volatile.Write(ref _receiving, 0);
        }
    }

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">The file was not opened for writing.</exception>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfClosed();
        if ((_access & FileAccess.Write) == 0)
        {
            throw new NotSupportedException($"The file '{Path}' was not opened for writing.");
        }

        if (_sendClosed)
        {
            throw new ClosedResourceException($"Sending to the file '{Path}' was ended by SendEofAsync.");
        }

        if (Interlocked.Exchange(ref _sending, 1) != 0)
        {
            throw BusyResourceException.For("sending");
        }

        try
        {
            if (data.IsEmpty)
            {
                return;
            }

            long position = Position;
            await Threads.RunOnThreadAsync(_ =>
            {
                RandomAccess.Write(_handle, data.Span, position);
                return true;
            }, _limiter, cancellationToken: cancellationToken);
            Position = position + data.Length;
        }
        finally
        {
            Volatile.Write(ref _sending, 0);
        }
    }

    /// <inheritdoc />
    /// <remarks>A file has no half-close: later sends fail with <see cref="ClosedResourceException"/>, receives go on.</remarks>
    public ValueTask SendEofAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfClosed();
        _sendClosed = true;
        return ValueTask.CompletedTask;
    }

    /// <summary>The file's current length.</summary>
    public Task<long> GetLengthAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        return Threads.RunOnThreadAsync(_ => RandomAccess.GetLength(_handle), _limiter, cancellationToken: cancellationToken);
    }

    /// <summary>Writes the file's data through to the storage device (fsync).</summary>
    public Task FlushToDiskAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        return Threads.RunOnThreadAsync(_ =>
        {
            RandomAccess.FlushToDisk(_handle);
            return true;
        }, _limiter, cancellationToken: cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            // A read or write still running on its thread holds a reference to the handle: the descriptor is closed when it ends.
            _handle.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    private void ThrowIfClosed()
    {
        if (Volatile.Read(ref _closed) != 0)
        {
            throw new ClosedResourceException($"The file '{Path}' was closed.");
        }
    }
}
