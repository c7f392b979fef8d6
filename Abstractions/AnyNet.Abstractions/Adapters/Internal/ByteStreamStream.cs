using System.Buffers;

namespace AnyNet.Adapters.Internal;

/// <summary>
/// An AnyNet byte stream seen as a <see cref="Stream"/>: async-first, <c>ReadAsync</c> returning 0 is the end, disposing
/// closes the byte stream (unless it was left open). The synchronous members block the calling thread on the async ones,
/// which is only safe off a loop thread: on a thread with a <see cref="SynchronizationContext"/> (a reactor or libuv loop
/// thread, a UI thread) they throw instead, because the completion they would wait for is posted to that very thread.
/// </summary>
internal sealed class ByteStreamStream : Stream
{
    private readonly bool _leaveOpen;
    private int _disposed;

    public ByteStreamStream(IByteStream inner, bool leaveOpen)
    {
        Inner = inner;
        _leaveOpen = leaveOpen;
    }

    /// <summary>The wrapped byte stream (half-close goes straight to it when this stream is wrapped back).</summary>
    public IByteStream Inner { get; }

    public override bool CanRead => Volatile.Read(ref _disposed) == 0;

    public override bool CanWrite => Volatile.Read(ref _disposed) == 0;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException("An AnyNet byte stream has no length.");

    public override long Position
    {
        get => throw new NotSupportedException("An AnyNet byte stream cannot seek.");
        set => throw new NotSupportedException("An AnyNet byte stream cannot seek.");
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Inner.ReceiveAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Inner.ReceiveAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        Inner.SendAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Inner.SendAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    // A completed send was handed to the OS (or a bounded buffer): there is nothing to flush.
    public override Task FlushAsync(CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested ? Task.FromCanceled(cancellationToken) : Task.CompletedTask;

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    public override int Read(Span<byte> buffer)
    {
        ThrowIfOnLoopThread(nameof(Read), nameof(ReadAsync));
        byte[] rented = ArrayPool<byte>.Shared.Rent(Math.Max(buffer.Length, 1));
        try
        {
            int n = Inner.ReceiveAsync(rented.AsMemory(0, buffer.Length)).AsTask().GetAwaiter().GetResult();
            rented.AsSpan(0, n).CopyTo(buffer);
            return n;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ThrowIfOnLoopThread(nameof(Write), nameof(WriteAsync));
        byte[] copy = buffer.ToArray();
        Inner.SendAsync(copy).AsTask().GetAwaiter().GetResult();
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("An AnyNet byte stream cannot seek.");

    public override void SetLength(long value) => throw new NotSupportedException("An AnyNet byte stream has no length.");

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && !_leaveOpen)
        {
            await Inner.DisposeAsync();
        }

        await base.DisposeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0 && !_leaveOpen)
        {
            ValueTask closing = Inner.DisposeAsync();
            if (closing.IsCompleted)
            {
                closing.GetAwaiter().GetResult();
            }
            else if (SynchronizationContext.Current is null)
            {
                closing.AsTask().GetAwaiter().GetResult();
            }
            else
            {
                // On a loop thread the close cannot be waited for (it completes on this thread); every AnyNet stream
                // has already marked itself closed synchronously, so let the rest finish and observe its outcome.
                _ = closing.AsTask().ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                    TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }

        base.Dispose(disposing);
    }

    private static void ThrowIfOnLoopThread(string member, string asyncMember)
    {
        if (SynchronizationContext.Current is { } context)
        {
            throw new InvalidOperationException(
                $"Synchronous {member} on a thread with a SynchronizationContext ({context.GetType().Name}, e.g. an AnyNet loop thread) " +
                $"would wait for a completion posted to this same thread and deadlock; use {asyncMember}, or call {member} from a worker thread.");
        }
    }
}
