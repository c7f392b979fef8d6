using System.Buffers;
using System.IO.Pipelines;

namespace AnyNet.Adapters.Internal;

/// <summary>
/// An <see cref="IDuplexPipe"/> under AnyNet's byte-stream rules. A receive reads from <see cref="IDuplexPipe.Input"/>,
/// a send writes to <see cref="IDuplexPipe.Output"/> in chunks, flushing after each, so a send waits while the pipe
/// is above its pause threshold and never copies more than one chunk past it. <see cref="SendEofAsync"/> completes
/// the output; closing completes both ends (after waking an operation blocked on them) and, unless left open, disposes
/// the pipe when it is <see cref="IAsyncDisposable"/>.
/// </summary>
internal sealed class PipeByteStream : IByteStream
{
    // Small enough that a send never overshoots the default 64 KiB pause threshold by much.
    private const int SendChunkSize = 16 * 1024;

    private readonly IDuplexPipe _pipe;
    private readonly bool _leaveOpen;
    private readonly ResourceGuard _receiving = new("receiving");
    private readonly ResourceGuard _sending = new("sending");
    private readonly Lock _gate = new();
    private bool _receiveActive;
    private bool _sendActive;
    private bool _closed;
    private bool _ended;
    private bool _eofSent;
    private TaskCompletionSource? _idle;

    public PipeByteStream(IDuplexPipe pipe, bool leaveOpen)
    {
        _pipe = pipe;
        _leaveOpen = leaveOpen;
    }

    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using ResourceGuard.Scope scope = _receiving.Enter();
        Begin(ref _receiveActive);
        try
        {
            if (_ended)
            {
                return 0;
            }

            PipeReader reader = _pipe.Input;
            while (true)
            {
                ReadResult result;
                try
                {
                    result = await reader.ReadAsync(cancellationToken);
                }
                catch (Exception error) when (Translate(error, cancellationToken) is { } translated)
                {
                    throw translated;
                }

                ReadOnlySequence<byte> data = result.Buffer;
                if (result.IsCanceled)
                {
                    reader.AdvanceTo(data.Start);
                    ThrowIfClosed();
                    continue;
                }

                if (buffer.IsEmpty)
                {
                    // Readable (data or the end): report it without consuming or examining anything.
                    reader.AdvanceTo(data.Start);
                    return 0;
                }

                if (data.IsEmpty && result.IsCompleted)
                {
                    reader.AdvanceTo(data.End);
                    _ended = true;
                    return 0;
                }

                int count = (int)Math.Min(data.Length, buffer.Length);
                data.Slice(0, count).CopyTo(buffer.Span);
                reader.AdvanceTo(data.GetPosition(count));
                return count;
            }
        }
        finally
        {
            End(ref _receiveActive);
        }
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using ResourceGuard.Scope scope = _sending.Enter();
        Begin(ref _sendActive);
        try
        {
            if (_eofSent)
            {
                throw new ClosedResourceException("The sending side was closed with SendEofAsync.");
            }

            PipeWriter writer = _pipe.Output;
            while (!data.IsEmpty)
            {
                int count = Math.Min(data.Length, SendChunkSize);
                writer.Write(data.Span[..count]);
                data = data[count..];
                FlushResult flushed;
                try
                {
                    flushed = await writer.FlushAsync(cancellationToken);
                }
                catch (Exception error) when (Translate(error, cancellationToken) is { } translated)
                {
                    throw translated;
                }

                if (flushed.IsCanceled)
                {
                    ThrowIfClosed();
                    throw new OperationCanceledException("A flush of the output pipe was cancelled (PipeWriter.CancelPendingFlush).");
                }

                if (flushed.IsCompleted)
                {
                    throw new BrokenResourceException("The reader of the output pipe completed; nothing more can be sent.",
                        new InvalidOperationException("PipeWriter.FlushAsync reported that the reader completed."));
                }
            }
        }
        finally
        {
            End(ref _sendActive);
        }
    }

    public async ValueTask SendEofAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using ResourceGuard.Scope scope = _sending.Enter();
        Begin(ref _sendActive);
        try
        {
            if (!_eofSent)
            {
                _eofSent = true;
                await _pipe.Output.CompleteAsync();
            }
        }
        finally
        {
            End(ref _sendActive);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task? waitForIdle = null;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            if (_receiveActive || _sendActive)
            {
                _idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                waitForIdle = _idle.Task;
            }
        }

        if (waitForIdle is not null)
        {
            // Completing a pipe end under a pending read or flush is not allowed: wake them, let them leave, then complete.
            _pipe.Input.CancelPendingRead();
            _pipe.Output.CancelPendingFlush();
            await waitForIdle;
        }

        await _pipe.Input.CompleteAsync();
        await _pipe.Output.CompleteAsync();
        if (!_leaveOpen && _pipe is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
    }

    private void Begin(ref bool active)
    {
        lock (_gate)
        {
            ThrowIfClosed();
            active = true;
        }
    }

    private void End(ref bool active)
    {
        TaskCompletionSource? idle = null;
        lock (_gate)
        {
            active = false;
            if (_closed && !_receiveActive && !_sendActive)
            {
                idle = _idle;
            }
        }

        idle?.TrySetResult();
    }

    private void ThrowIfClosed()
    {
        if (_closed)
        {
            throw new ClosedResourceException("This stream was closed.");
        }
    }

    private Exception? Translate(Exception error, CancellationToken cancellationToken)
    {
        if (_closed)
        {
            return error is ClosedResourceException ? null : new ClosedResourceException("This stream was closed.", error);
        }

        return error switch
        {
            OperationCanceledException when cancellationToken.IsCancellationRequested => null,
            ClosedResourceException or BrokenResourceException or BusyResourceException => null,
            _ => new BrokenResourceException($"The pipe failed: {error.Message}", error),
        };
    }
}
