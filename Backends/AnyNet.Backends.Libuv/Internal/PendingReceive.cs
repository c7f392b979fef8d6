using System.Buffers;
using System.Runtime.InteropServices;

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
    private readonly bool _keepArrayPinned;
    private MemoryHandle _pin;
    private bool _pinnedPerWait;
    // The array kept pinned across waits (see the constructor), and the address of its first element.
    private byte[]? _keptArray;
    private GCHandle _keptPin;
    private byte* _keptBase;
    private CancellationToken _token;
    private CancellationTokenRegistration _registration;

    /// <param name="loop">The socket's loop.</param>
    /// <param name="stopWatching">Stops what the socket started for the wait (reading, polling); runs as it ends.</param>
    /// <param name="keepArrayPinned">
    /// Keep the last array pinned after its wait ended, until another array is used or <see cref="ReleasePin"/>: a
    /// stream's receive loop passes the same buffer every time, and pinning it anew for every wait (a GCHandle allocated
    /// and freed per message) was a visible share of a libuv echo server's profile at 1000 connections. The owner must
    /// call <see cref="ReleasePin"/> when it closes.
    /// </param>
    public PendingReceive(LibuvLoop loop, Action stopWatching, bool keepArrayPinned = false)
    {
        _loop = loop;
        _operation = new LoopOperation<T>(loop);
        _stopWatching = stopWatching;
        _keepArrayPinned = keepArrayPinned;
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
            if (_keepArrayPinned && MemoryMarshal.TryGetArray<byte>(buffer, out ArraySegment<byte> segment) && segment.Array is { } array)
            {
                if (!ReferenceEquals(array, _keptArray))
                {
                    ReleasePin();
                    _keptPin = GCHandle.Alloc(array, GCHandleType.Pinned);
                    _keptArray = array;
                    _keptBase = (byte*)_keptPin.AddrOfPinnedObject();
                }

                Pointer = _keptBase + segment.Offset;
            }
            else
            {
                _pin = buffer.Pin();
                _pinnedPerWait = true;
                Pointer = (byte*)_pin.Pointer;
            }
        }

        return version;
    }

    /// <summary>Unpins the array kept pinned across waits, if any (the owner calls it when it closes).</summary>
    public void ReleasePin()
    {
        if (_keptArray is not null)
        {
            _keptPin.Free();
            _keptArray = null;
            _keptBase = null;
        }
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
        if (_pinnedPerWait)
        {
            _pin.Dispose();
            _pin = default;
            _pinnedPerWait = false;
        }

        Pointer = null;

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
