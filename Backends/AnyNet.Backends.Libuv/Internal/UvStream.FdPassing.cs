using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace AnyNet.Backends.Libuv.Internal;

/// <summary>
/// Descriptor passing on a Unix <see cref="UvStream"/>: sendmsg/recvmsg with SCM_RIGHTS on the uv_pipe_t's descriptor
/// (uv_fileno), driven by the loop's readiness.
/// </summary>
/// <remarks>
/// Not libuv's own IPC pipes (uv_pipe_init with ipc=1, uv_write2, uv_pipe_pending_type): they pass only libuv handles
/// (a TCP, pipe or UDP handle the sender must first wrap the descriptor in, which makes it non-blocking) and must be
/// chosen when the pipe is made, before anyone knows the stream will carry descriptors. Here readiness for a receive is
/// the stream's own zero-length receive (uv_read_start with an empty buffer, which reads nothing); a send that finds the
/// socket full waits with a uv_poll_t on a duplicate of the descriptor (<see cref="UvDescriptorWait"/>), after any chunk
/// libuv still has in flight from a cancelled send, so bytes never overtake each other.
/// </remarks>
internal sealed partial class UvStream
{
    private bool _fdSending;
    private TaskCompletionSource? _writeDrained;
    private CancellationTokenSource? _fdWaitClosing;

    public ValueTask SendFdsAsync(ReadOnlyMemory<byte> message, IReadOnlyList<SafeHandle> handles, CancellationToken cancellationToken = default)
    {
        if (!Loop.IsLoopThread)
        {
            return Loop.InvokeAsync(static s => s.Self.SendFdsAsync(s.Message, s.Handles, s.Token), (Self: this, Message: message, Handles: handles, Token: cancellationToken));
        }

        return new ValueTask(SendFdsOnLoopAsync(message, handles, cancellationToken));
    }

    public ValueTask<FdReceiveResult> ReceiveFdsAsync(Memory<byte> buffer, int maxHandles, CancellationToken cancellationToken = default)
    {
        if (!Loop.IsLoopThread)
        {
            return Loop.InvokeAsync(static s => s.Self.ReceiveFdsAsync(s.Buffer, s.Max, s.Token), (Self: this, Buffer: buffer, Max: maxHandles, Token: cancellationToken));
        }

        return new ValueTask<FdReceiveResult>(ReceiveFdsOnLoopAsync(buffer, maxHandles, cancellationToken));
    }

    private void ThrowIfNotUnixSocket()
    {
        if (!_isPipe || (_fd < 0 && !IsClosed))
        {
            throw UnixRights.NotUnix(_isPipe ? "pipe without a socket" : "TCP stream");
        }
    }

    private async Task SendFdsOnLoopAsync(ReadOnlyMemory<byte> message, IReadOnlyList<SafeHandle> handles, CancellationToken cancellationToken)
    {
        ThrowIfNotUnixSocket();
        UnixRights.ValidateSend(message, handles);
        cancellationToken.ThrowIfCancellationRequested();
        if (IsClosed)
        {
            throw UvErrors.Closed("stream");
        }

        if (_send.InUse || _fdSending)
        {
            throw BusyResourceException.For("sending");
        }

        if (_shutdownRequested)
        {
            throw new ClosedResourceException("This stream's sending side was closed by SendEofAsync.");
        }

        if (_writeError != 0)
        {
            throw UvErrors.Broken(_writeError, "send");
        }

        _fdSending = true;
        try
        {
            while (true)
            {
                if (IsClosed)
                {
                    throw UvErrors.Closed("stream");
                }

                if (_writeInFlight)
                {
                    // A chunk of a cancelled send is still with libuv: the descriptors' message goes after it.
                    _writeDrained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    await _writeDrained.Task.WaitAsync(cancellationToken);
                    continue;
                }

                nint sent = UnixRights.TrySend(_fd, message.Span, handles);
                if (sent > 0)
                {
                    message = message[(int)sent..];
                    break;
                }

                if (!UnixRights.WouldBlock(sent))
                {
                    throw UnixRights.SendError((int)-sent, handles);
                }

                // The wait watches a duplicate, which closing this stream would not wake: closing cancels it instead.
                _fdWaitClosing ??= new CancellationTokenSource();
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _fdWaitClosing.Token);
                try
                {
                    await UvDescriptorWait.WaitAsync(Loop, _fd, writable: true, linked.Token);
                }
                catch (OperationCanceledException) when (IsClosed)
                {
                    throw UvErrors.Closed("stream");
                }
            }
        }
        finally
        {
            _fdSending = false;
        }

        // The descriptors went with the first bytes; the rest is an ordinary send (started synchronously, so nothing
        // can slip in between).
        if (!message.IsEmpty)
        {
            await SendAsync(message, cancellationToken);
        }
    }

    private async Task<FdReceiveResult> ReceiveFdsOnLoopAsync(Memory<byte> buffer, int maxHandles, CancellationToken cancellationToken)
    {
        ThrowIfNotUnixSocket();
        UnixRights.ValidateReceive(buffer, maxHandles);
        cancellationToken.ThrowIfCancellationRequested();
        if (IsClosed)
        {
            throw UvErrors.Closed("stream");
        }

        if (_receive.InUse)
        {
            throw BusyResourceException.For("receiving");
        }

        while (true)
        {
            if (_readError != 0)
            {
                throw UvErrors.Broken(_readError, "receive");
            }

            nint received = UnixRights.TryReceive(_fd, buffer.Span, maxHandles, out SafeFileHandle[] handles);
            if (received >= 0)
            {
                _eof |= received == 0;
                return new FdReceiveResult((int)received, handles);
            }

            if (!UnixRights.WouldBlock(received))
            {
                _readError = (int)received;
                throw UnixRights.ReceiveError((int)-received);
            }

            // Wait for readability without consuming: while it waits the receive side is busy, so no other receive
            // can slip in, and its result is taken here, right before the recvmsg.
            _ = await ReceiveAsync(Memory<byte>.Empty, cancellationToken);
        }
    }

    private void OnWriteDrained()
    {
        TaskCompletionSource? drained = _writeDrained;
        _writeDrained = null;
        drained?.TrySetResult();
    }

    private void OnClosingFdPassing()
    {
        OnWriteDrained();
        _fdWaitClosing?.Cancel();
    }
}
