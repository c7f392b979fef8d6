using System.Buffers;

namespace AnyNet.Backends.Libuv.Internal;

/// <summary>
/// The receive a libuv socket is waiting on, written once for streams (<see cref="UvStream"/>), UDP
/// (<see cref="UvUdpSocket"/>) and Unix datagram sockets (<see cref="UvUnixDatagramSocket"/>): the reusable awaitable,
/// the caller's buffer (pinned while libuv may write into it), the cancellation registration, and how the wait ends.
/// Loop thread only.
/// </summary>
/// <remarks>
/// Whatever ends the wait (data, an error, a cancellation, the socket closing) goes through <see cref="Complete"/> or
/// <see cref="Fail"/>, which first lets the socket stop watching (stop reading, stop polling), then unpins the buffer
/// and drops the registration, and only then resumes the receiver, so the receiver may start the next receive at once.
/// </remarks>
internal sealed unsafe class PendingReceive<T>
{
    private static readonly Action<object?> s_cancelled = static state =>
        ((PendingReceive<T>)state!)._loop.Post(static s => ((PendingReceive<T>)s!).CancelIfRequested(), state);

    private readonly LibuvLoop _loop;
    private readonly LoopOperation<T> _operation;
    private readonly Action _stopWatching;
    private MemoryHandle _pin;
    private CancellationToken _token;
    private CancellationTokenRegistration _registration;

    /// <param name="loop">The socket's loop.</param>
    /// <param name="stopWatching">Stops what the socket started for the wait (reading, polling); runs as it ends.</param>
    public PendingReceive(LibuvLoop loop, Action stopWatching)
    {
        _loop = loop;
        _operation = new LoopOperation<T>(loop);
        _stopWatching = stopWatching;
    }

    /// <summary>True from <see cref="Begin"/> until the wait ended.</summary>
    public bool IsPending { get; private set; }

    /// <summary>True until the receiver took the result: a second receive meanwhile is a busy error.</summary>
    public bool InUse => _operation.InUse;

    /// <summary>The caller's buffer while pending.</summary>
    public Memory<byte> Buffer { get; private set; }

    /// <summary>The pinned buffer while pending, if <see cref="Begin"/> pinned it (null for an empty buffer).</summary>
    public byte* Pointer { get; private set; }

    /// <summary>
    /// Returns the result of a receive that finished at once, unless the loop's cooperative budget is spent: then the
    /// result is handed over after the loop has polled again (see <see cref="LoopOperation{T}.Defer"/>).
    /// </summary>
    public ValueTask<T> CompletedAtOnce(T result) =>
        _operation.TryCompleteAtOnce() ? new ValueTask<T>(result) : _operation.AsValueTaskOfT(_operation.Defer(result));

    /// <summary>Starts waiting with <paramref name="buffer"/>, pinned if libuv is to write into it.</summary>
    /// <returns>The version to pass to <see cref="Watch"/>.</returns>
    public short Begin(Memory<byte> buffer, bool pin)
    {
        short version = _operation.Start();
        IsPending = true;
        Buffer = buffer;
        if (pin && !buffer.IsEmpty)
        {
            _pin = buffer.Pin();
            Pointer = (byte*)_pin.Pointer;
        }

        return version;
    }

    /// <summary>Makes <paramref name="cancellationToken"/> end the wait (if it still is pending) and returns the awaitable.</summary>
    public ValueTask<T> Watch(short version, CancellationToken cancellationToken)
    {
        if (IsPending && cancellationToken.CanBeCanceled)
        {
            _token = cancellationToken;
            _registration = cancellationToken.UnsafeRegister(s_cancelled, this);
        }

        return _operation.AsValueTaskOfT(version);
    }

    /// <summary>Ends the wait with <paramref name="result"/>.</summary>
    public void Complete(T result)
    {
        End();
        _operation.SetResult(result);
    }

    /// <summary>Ends the wait with <paramref name="error"/>.</summary>
    public void Fail(Exception error)
    {
        End();
        _operation.SetException(error);
    }

    private void End()
    {
        IsPending = false;
        _stopWatching();
        if (Pointer != null)
        {
            _pin.Dispose();
            _pin = default;
            Pointer = null;
        }

        Buffer = default;
        _ = _registration.Unregister();
        _registration = default;
        _token = default;
    }

    private void CancelIfRequested()
    {
        if (IsPending && _token.IsCancellationRequested)
        {
            Fail(new OperationCanceledException(_token));
        }
    }
}
