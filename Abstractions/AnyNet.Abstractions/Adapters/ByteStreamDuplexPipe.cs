using System.Buffers;
using System.IO.Pipelines;
using AnyNet.Adapters.Internal;

namespace AnyNet.Adapters;

/// <summary>
/// An AnyNet byte stream as an <see cref="IDuplexPipe"/> (the shape Kestrel and other System.IO.Pipelines code use),
/// made with <see cref="ByteStreamAdapters.AsDuplexPipe"/>. Two pumps move the bytes: one receives from the stream into
/// <see cref="Input"/>, one sends what the application writes to <see cref="Output"/>.
/// </summary>
/// <remarks>
/// <para><b>Backpressure.</b> Memory is bounded by the two <see cref="PipeOptions"/>: the receive pump stops receiving while
/// <see cref="Input"/> holds more than its <see cref="PipeOptions.PauseWriterThreshold"/> unread bytes (so a slow reader
/// makes the peer's sends wait, through the transport's own flow control), and the application's
/// <see cref="PipeWriter.FlushAsync"/> on <see cref="Output"/> waits while more than that threshold is not yet sent.</para>
/// <para><b>Completion.</b> Completing <see cref="Output"/> without an exception sends what was written, then half-closes
/// the stream (<see cref="IByteStream.SendEofAsync"/>); completing it with an exception aborts the connection (see
/// <see cref="Abort"/>). Completing <see cref="Input"/> stops receiving. The end of the stream completes
/// <see cref="Input"/> normally; a receive failure completes it with that exception (a <see cref="BrokenResourceException"/>),
/// and a send failure makes the next flush of <see cref="Output"/> throw it. Once both pumps have ended the stream is
/// disposed (unless it was left open) and <see cref="Completion"/> finishes.</para>
/// </remarks>
public sealed class ByteStreamDuplexPipe : IDuplexPipe, IAsyncDisposable
{
    private readonly IByteStream _stream;
    private readonly bool _leaveOpen;
    private readonly bool _waitForDataBeforeAllocating;
    private readonly int _minimumReceiveSize;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly CompletionWatchingPipeReader _inputReader;
    private readonly CancellationTokenSource _stopReceiving = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly Task _completion;
    private Exception? _abortReason;

    internal ByteStreamDuplexPipe(IByteStream stream, PipeOptions? inputOptions, PipeOptions? outputOptions, bool leaveOpen, bool waitForDataBeforeAllocating)
    {
        _stream = stream;
        _leaveOpen = leaveOpen;
        _waitForDataBeforeAllocating = waitForDataBeforeAllocating;
        _input = new Pipe(inputOptions ?? PipeOptions.Default);
        _output = new Pipe(outputOptions ?? PipeOptions.Default);
        _minimumReceiveSize = (inputOptions ?? PipeOptions.Default).MinimumSegmentSize;
        _inputReader = new CompletionWatchingPipeReader(_input.Reader, StopReceiving);
        Task receiving = ReceiveLoopAsync();
        Task sending = SendLoopAsync();
        _completion = FinishAsync(receiving, sending);
    }

    /// <summary>What the peer sent; completed when the stream ends (or with the receive failure).</summary>
    public PipeReader Input => _inputReader;

    /// <summary>What to send; complete it to half-close, complete it with an exception to abort.</summary>
    public PipeWriter Output => _output.Writer;

    /// <summary>Finishes when both pumps have ended and the stream was disposed (never faults).</summary>
    public Task Completion => _completion;

    /// <summary>
    /// Stops both pumps at once without sending what is still in <see cref="Output"/>, completes <see cref="Input"/> with
    /// <paramref name="reason"/> (or a <see cref="ClosedResourceException"/>) and disposes the stream.
    /// </summary>
    public void Abort(Exception? reason = null)
    {
        Interlocked.CompareExchange(ref _abortReason, reason ?? new ClosedResourceException("The duplex pipe was aborted."), null);
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// Closes gracefully: completes <see cref="Input"/> and <see cref="Output"/> (what was written is still sent, then
    /// the end), and waits for <see cref="Completion"/>. If the peer does not read, that wait lasts; call
    /// <see cref="Abort"/> to cut it short.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await _inputReader.CompleteAsync();
        await _output.Writer.CompleteAsync();
        await _completion;
    }

    private void StopReceiving()
    {
        try
        {
            _stopReceiving.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task ReceiveLoopAsync()
    {
        PipeWriter writer = _input.Writer;
        Exception? error = null;
        using CancellationTokenSource linked = CancellationTokenSource.CreateLinkedTokenSource(_stopReceiving.Token, _abort.Token);
        CancellationToken token = linked.Token;
        try
        {
            while (true)
            {
                if (_waitForDataBeforeAllocating)
                {
                    // An idle connection holds no pipe memory: wait for readability with a zero-length receive first.
                    await _stream.ReceiveAsync(Memory<byte>.Empty, token);
                }

                Memory<byte> memory = writer.GetMemory(_minimumReceiveSize);
                int received = await _stream.ReceiveAsync(memory, token);
                if (received == 0)
                {
                    break;
                }

                writer.Advance(received);

                // Waits while the reader is more than PauseWriterThreshold behind: no receive happens meanwhile.
                FlushResult flushed = await writer.FlushAsync(token);
                if (flushed.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            error = _abortReason;
        }
        catch (OperationCanceledException) when (_stopReceiving.IsCancellationRequested)
        {
        }
        catch (Exception failure)
        {
            error = _abort.IsCancellationRequested ? _abortReason : failure;
        }

        await writer.CompleteAsync(error);
    }

    private async Task SendLoopAsync()
    {
        PipeReader reader = _output.Reader;
        Exception? sendError = null;
        try
        {
            while (true)
            {
                ReadResult result;
                try
                {
                    result = await reader.ReadAsync(_abort.Token);
                }
                catch (OperationCanceledException) when (_abort.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception applicationError)
                {
                    // The application completed Output with an exception: that is an abort, as in Kestrel.
                    Abort(applicationError);
                    break;
                }

                ReadOnlySequence<byte> buffer = result.Buffer;
                try
                {
                    foreach (ReadOnlyMemory<byte> segment in buffer)
                    {
                        await _stream.SendAsync(segment, _abort.Token);
                    }

                    if (result.IsCompleted)
                    {
                        await _stream.SendEofAsync(_abort.Token);
                        break;
                    }

                    if (result.IsCanceled)
                    {
                        break;
                    }
                }
                finally
                {
                    reader.AdvanceTo(buffer.End);
                }
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
        }
        catch (Exception failure)
        {
            sendError = failure;
        }

        // The application's next flush throws the send failure.
        await reader.CompleteAsync(sendError);
    }

    private async Task FinishAsync(Task receiving, Task sending)
    {
        await Task.WhenAll(receiving, sending);
        if (!_leaveOpen)
        {
            try
            {
                await _stream.DisposeAsync();
            }
            catch (IOException)
            {
                // Closing a transport that already failed: the failure reached the pipes above.
            }
        }

        _stopReceiving.Dispose();
        _abort.Dispose();
    }
}
