using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using AnyNet.Backends.Libuv.Interop;

namespace AnyNet.Backends.Libuv.Internal;

/// <summary>
/// A connected TCP (uv_tcp_t) or Unix (uv_pipe_t) stream. All state is touched only on the loop thread; calls from
/// other threads are forwarded to it.
/// </summary>
/// <remarks>
/// Receive: a receive first tries recv(2) on the handle's descriptor (as uv_try_write does for sends), unless the last
/// read proved the socket drained (EAGAIN, or fewer bytes than asked for: epoll(7)); only then does it wait, and libuv
/// reads straight into the caller's pinned buffer, so nothing is buffered while nobody receives and a slow reader
/// makes the peer block. Reading (uv_read_start) begins with the first wait and stays on while the application keeps
/// receiving: when data becomes readable and no receive is pending, the allocation callback hands libuv an empty
/// buffer, libuv reads nothing and reports UV_ENOBUFS, and only then does the stream stop reading (uv_read_stop). So
/// a request/response loop costs no uv_read_start/uv_read_stop pair, and so no epoll_ctl, per message. A zero-length
/// receive peeks with recv(MSG_PEEK); if nothing is readable it waits with an empty buffer, which libuv answers with
/// UV_ENOBUFS as soon as the socket is readable, without reading anything.
/// Send: uv_try_write first; what the socket does not take is written with uv_write from a per-stream chunk buffer,
/// one chunk in flight at a time, so a cancelled send never leaves libuv pointing at the caller's memory.
/// </remarks>
internal sealed unsafe partial class UvStream : UvHandle, ISocketStream
{
    private const int ChunkSize = 64 * 1024;

    private static readonly Action<object?> s_sendCancelled = static state =>
        ((UvStream)state!).Loop.Post(static s => ((UvStream)s!).CancelSend(), state);

    private readonly bool _isPipe;
    private readonly PendingReceive<int> _receive;
    private readonly LoopOperation<bool> _send;

    // Receive state.
    private bool _reading;
    private bool _peekMode;
    private bool _drained;
    private bool _eof;
    private int _readError;

    // Send state.
    private bool _sendPending;
    private bool _writeInFlight;
    private bool _shutdownRequested;
    private bool _shutdownPending;
    private int _writeError;
    private ReadOnlyMemory<byte> _sendData;
    private byte[]? _chunk;
    private CancellationToken _sendToken;
    private CancellationTokenRegistration _sendRegistration;
    private IntPtr _writeReq;
    private IntPtr _shutdownReq;

    // Connect state.
    private IntPtr _connectReq;
    private TaskCompletionSource<int>? _connectCompletion;

    private int _fd = -1;
    private EndPoint? _localEndPoint;
    private EndPoint? _remoteEndPoint;

    private UvStream(LibuvLoop loop, bool isPipe, AddressFamily family)
        : base(loop, isPipe ? Uv.HandleType.NamedPipe : Uv.HandleType.Tcp)
    {
        _isPipe = isPipe;
        _receive = new PendingReceive<int>(loop, EndWait);
        _send = new LoopOperation<bool>(loop);
        int status = isPipe
            ? Uv.uv_pipe_init(loop.Native, Handle, 0)
            : Uv.uv_tcp_init_ex(loop.Native, Handle, family == AddressFamily.Unspecified ? 0u : (uint)(family == AddressFamily.InterNetworkV6 ? 10 : 2));
        CompleteInit(status, isPipe ? "uv_pipe_init" : "uv_tcp_init");
    }

    public EndPoint LocalEndPoint => _localEndPoint!;

    public EndPoint RemoteEndPoint => _remoteEndPoint!;

    public bool TryGetAttribute<T>(TypedAttribute<T> attribute, [MaybeNullWhen(false)] out T value) =>
        TryGetLoopContext(attribute, out value) || SocketAttributes.TryGet(attribute, this, Descriptor(), LocalEndPoint, RemoteEndPoint, out value);

    // Option calls go straight to the descriptor from uv_fileno: libuv keeps no copy of socket options
    // (uv_tcp_nodelay and uv_tcp_keepalive are plain setsockopt calls too, src/unix/tcp.c).
    public void SetOption(int level, int name, ReadOnlySpan<byte> value) => SocketAttributes.SetOption(Descriptor(), level, name, value);

    public int GetOption(int level, int name, Span<byte> value) => SocketAttributes.GetOption(Descriptor(), level, name, value);

    private int Descriptor() => IsClosed || _fd < 0 ? throw new ClosedResourceException("This stream was closed.") : _fd;

    /// <summary>A fresh, unconnected handle for <see cref="UvListener"/> to accept into (loop thread).</summary>
    public static UvStream CreateForAccept(LibuvLoop loop, bool isPipe) => new(loop, isPipe, AddressFamily.Unspecified);

    /// <summary>Finishes an accepted or connected stream: options and cached endpoints.</summary>
    public void Established(EndPoint? listenerEndPoint)
    {
        int fd;
        _fd = Uv.uv_fileno(Handle, &fd) == 0 ? fd : -1;
        if (_isPipe)
        {
            _localEndPoint = UnixEndPoints.Read(Handle, peer: false) ?? listenerEndPoint ?? UnixEndPoints.Unnamed;
            _remoteEndPoint = UnixEndPoints.Read(Handle, peer: true) ?? UnixEndPoints.Unnamed;
        }
        else
        {
            _ = Uv.uv_tcp_nodelay(Handle, 1);
            _localEndPoint = ReadTcpName(peer: false);
            _remoteEndPoint = ReadTcpName(peer: true);
        }
    }

    /// <summary>Creates the handle and starts uv_tcp_connect (loop thread).</summary>
    private static UvStream StartConnectTcp(LibuvLoop loop, IPEndPoint remote)
    {
        loop.ThrowIfStopping();
        var stream = new UvStream(loop, isPipe: false, remote.AddressFamily);
        stream._connectReq = stream.AllocReq(Uv.ReqType.Connect);
        stream._connectCompletion = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        byte* address = stackalloc byte[SockAddr.StorageSize];
        _ = SockAddr.Write(remote, new Span<byte>(address, SockAddr.StorageSize));
        int status = Uv.uv_tcp_connect(stream._connectReq, stream.Handle, address, &OnConnect);
        if (status < 0)
        {
            stream.Close();
            throw UvErrors.Exception(status, "connect", remote);
        }

        return stream;
    }

    /// <summary>Creates the handle and starts uv_pipe_connect (loop thread).</summary>
    private static UvStream StartConnectUnix(LibuvLoop loop, string path)
    {
        loop.ThrowIfStopping();
        byte[] name = UnixEndPoints.EncodePath(path);
        var stream = new UvStream(loop, isPipe: true, AddressFamily.Unix);
        stream._connectReq = stream.AllocReq(Uv.ReqType.Connect);
        stream._connectCompletion = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        fixed (byte* namePointer = name)
        {
            Uv.uv_pipe_connect(stream._connectReq, stream.Handle, namePointer, &OnConnect);
        }

        return stream;
    }

    [UnmanagedCallersOnly]
    private static void OnConnect(IntPtr req, int status)
    {
        try
        {
            FromReq<UvStream>(req)._connectCompletion!.TrySetResult(status);
        }
        catch (Exception e)
        {
            LibuvLoop.ReportCallbackFailure(e);
        }
    }

    // ---------------------------------------------------------------- receive

    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!Loop.IsLoopThread)
        {
            return Loop.InvokeAsync(static s => s.Self.ReceiveAsync(s.Buffer, s.Token), (Self: this, Buffer: buffer, Token: cancellationToken));
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        if (IsClosed)
        {
            return ValueTask.FromException<int>(UvErrors.Closed("stream"));
        }

        if (_receive.InUse)
        {
            return ValueTask.FromException<int>(BusyResourceException.For("receiving"));
        }

        if (_eof)
        {
            return new ValueTask<int>(0);
        }

        if (_readError != 0)
        {
            return ValueTask.FromException<int>(UvErrors.Broken(_readError, "receive"));
        }

        // Level-triggered libuv reports data that is already there at the next poll, so skipping the attempt after a
        // drained read can only delay a receive by one loop turn, never lose it.
        int immediate = _drained ? -Libc.EAGAIN : TryReceive(buffer.Span);
        if (immediate >= 0)
        {
            return _receive.CompletedAtOnce(immediate);
        }

        if (immediate != -Libc.EAGAIN)
        {
            _readError = immediate;
            return ValueTask.FromException<int>(UvErrors.Broken(immediate, "receive"));
        }

        short version = _receive.Begin(buffer, pin: true);
        _peekMode = buffer.IsEmpty;
        if (!_reading)
        {
            int status = Uv.uv_read_start(Handle, &OnAlloc, &OnRead);
            if (status < 0)
            {
                _receive.Fail(UvErrors.Broken(status, "receive"));
            }
            else
            {
                _reading = true;
            }
        }

        return _receive.Watch(version, cancellationToken);
    }

    /// <summary>
    /// One non-blocking recv(2): the byte count (0 at the end of the stream), or a negated errno. An empty buffer peeks
    /// one byte, so it reports readability without consuming anything.
    /// </summary>
    private int TryReceive(Span<byte> buffer)
    {
        if (_fd < 0)
        {
            return -Libc.EAGAIN;
        }

        byte peek;
        nint received;
        fixed (byte* pointer = buffer)
        {
            do
            {
                received = buffer.IsEmpty
                    ? Libc.recv(_fd, &peek, 1, Libc.MSG_PEEK | Libc.MSG_DONTWAIT)
                    : Libc.recv(_fd, pointer, (nuint)buffer.Length, Libc.MSG_DONTWAIT);
            }
            while (received < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR);
        }

        if (received < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            _drained = errno == Libc.EAGAIN;
            return -errno;
        }

        if (received == 0)
        {
            _eof = true;
            return 0;
        }

        if (buffer.IsEmpty)
        {
            return 0;
        }

        _drained = received < buffer.Length;
        return (int)received;
    }

    /// <summary>
    /// A wait for data ended (data, the end, an error, a cancellation or a close). Reading stays on: the next receive
    /// usually follows at once, and libuv itself tells when it does not (see the remarks).
    /// </summary>
    private void EndWait() => _peekMode = false;

    /// <summary>Stops libuv reading: data became readable while no receive was pending, or reading is over.</summary>
    private void StopReading()
    {
        _peekMode = false;
        if (_reading)
        {
            _reading = false;
            if (!IsClosed)
            {
                _ = Uv.uv_read_stop(Handle);
            }
        }
    }

    [UnmanagedCallersOnly]
    private static void OnAlloc(IntPtr handle, nuint suggestedSize, Uv.Buf* buf)
    {
        try
        {
            UvStream stream = FromHandle<UvStream>(handle);
            // For a zero-length receive (and if, impossibly, no receive is pending) this is an empty buffer: libuv
            // then reads nothing and reports UV_ENOBUFS, which tells a zero-length receive that data is readable.
            buf->Base = stream._receive.Pointer;
            buf->Len = stream._receive.Pointer == null ? 0 : (nuint)stream._receive.Buffer.Length;
        }
        catch (Exception e)
        {
            buf->Base = null;
            buf->Len = 0;
            LibuvLoop.ReportCallbackFailure(e);
        }
    }

    [UnmanagedCallersOnly]
    private static void OnRead(IntPtr handle, nint nread, Uv.Buf* buf)
    {
        try
        {
            FromHandle<UvStream>(handle).OnRead((int)nread);
        }
        catch (Exception e)
        {
            Fault(handle, e);
        }
    }

    private void OnRead(int nread)
    {
        if (nread == Uv.UV_ENOBUFS && _peekMode && _receive.IsPending)
        {
            // Readable (data, the end, or an error), and nothing consumed: the next receive finds out which, with recv(2).
            _drained = false;
            _receive.Complete(0);
            return;
        }

        if (nread == 0 || nread == Uv.UV_ENOBUFS || !_receive.IsPending)
        {
            // 0 is libuv's EAGAIN: keep waiting.
            if (!_receive.IsPending)
            {
                StopReading();
            }

            return;
        }

        if (nread > 0)
        {
            _drained = nread < _receive.Buffer.Length;
            _receive.Complete(nread);
        }
        else if (nread == Uv.UV_EOF)
        {
            // libuv has stopped reading by itself (uv__stream_eof), as after an error below.
            _eof = true;
            StopReading();
            _receive.Complete(0);
        }
        else
        {
            _readError = nread;
            StopReading();
            _receive.Fail(UvErrors.Broken(nread, "receive"));
        }
    }

    // ---------------------------------------------------------------- send

    public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (!Loop.IsLoopThread)
        {
            return Loop.InvokeAsync(static s => s.Self.SendAsync(s.Data, s.Token), (Self: this, Data: data, Token: cancellationToken));
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (IsClosed)
        {
            return ValueTask.FromException(UvErrors.Closed("stream"));
        }

        if (_send.InUse)
        {
            return ValueTask.FromException(BusyResourceException.For("sending"));
        }

        if (_shutdownRequested)
        {
            return ValueTask.FromException(new ClosedResourceException("This stream's sending side was closed by SendEofAsync."));
        }

        if (_writeError != 0)
        {
            return ValueTask.FromException(UvErrors.Broken(_writeError, "send"));
        }

        if (data.IsEmpty)
        {
            return ValueTask.CompletedTask;
        }

        if (!_writeInFlight)
        {
            int written = TryWrite(data.Span);
            if (written == data.Length)
            {
                return _send.TryCompleteAtOnce() ? ValueTask.CompletedTask : _send.AsValueTask(_send.Defer(true));
            }

            if (written < 0 && written != Uv.UV_EAGAIN)
            {
                _writeError = written;
                return ValueTask.FromException(UvErrors.Broken(written, "send"));
            }

            data = data[Math.Max(written, 0)..];
        }

        short version = _send.Start();
        _sendPending = true;
        _sendData = data;
        _sendToken = cancellationToken;
        if (cancellationToken.CanBeCanceled)
        {
            _sendRegistration = cancellationToken.UnsafeRegister(s_sendCancelled, this);
        }

        PumpSend();
        return _send.AsValueTask(version);
    }

    private int TryWrite(ReadOnlySpan<byte> data)
    {
        fixed (byte* pointer = data)
        {
            Uv.Buf buf = new() { Base = pointer, Len = (nuint)data.Length };
            return Uv.uv_try_write(Handle, &buf, 1);
        }
    }

    /// <summary>Moves the pending send forward: direct writes while the socket takes them, else one chunk through uv_write.</summary>
    private void PumpSend()
    {
        while (_sendPending && !_writeInFlight)
        {
            if (_sendData.IsEmpty)
            {
                FinishSend(null);
                return;
            }

            int written = TryWrite(_sendData.Span);
            if (written > 0)
            {
                _sendData = _sendData[written..];
                continue;
            }

            if (written != Uv.UV_EAGAIN)
            {
                _writeError = written;
                FinishSend(UvErrors.Broken(written, "send"));
                return;
            }

            _chunk ??= GC.AllocateUninitializedArray<byte>(ChunkSize, pinned: true);
            int size = Math.Min(_chunk.Length, _sendData.Length);
            _sendData.Span[..size].CopyTo(_chunk);
            _writeReq = _writeReq == IntPtr.Zero ? AllocReq(Uv.ReqType.Write) : _writeReq;
            Uv.Buf buf = new() { Base = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_chunk)), Len = (nuint)size };
            int status = Uv.uv_write(_writeReq, Handle, &buf, 1, &OnWrite);
            if (status < 0)
            {
                _writeError = status;
                FinishSend(UvErrors.Broken(status, "send"));
                return;
            }

            _writeInFlight = true;
            _sendData = _sendData[size..];
        }
    }

    private void CancelSend()
    {
        if (_sendPending && _sendToken.IsCancellationRequested)
        {
            // A chunk already handed to uv_write still goes out: the cancelled send may have sent a prefix.
            FinishSend(new OperationCanceledException(_sendToken));
        }
    }

    private void FinishSend(Exception? error)
    {
        _sendPending = false;
        _sendData = default;
        _ = _sendRegistration.Unregister();
        _sendRegistration = default;
        _sendToken = default;
        if (error is null)
        {
            _send.SetResult(true);
        }
        else
        {
            _send.SetException(error);
        }
    }

    [UnmanagedCallersOnly]
    private static void OnWrite(IntPtr req, int status)
    {
        try
        {
            UvStream stream = FromReq<UvStream>(req);
            stream._writeInFlight = false;
            if (status < 0)
            {
                if (!stream.IsClosed)
                {
                    stream._writeError = status;
                }

                if (stream._sendPending)
                {
                    stream.FinishSend(stream.IsClosed ? UvErrors.Closed("stream") : UvErrors.Broken(status, "send"));
                }

                return;
            }

            stream.PumpSend();
        }
        catch (Exception e)
        {
            LibuvLoop.ReportCallbackFailure(e);
        }
    }

    public ValueTask SendEofAsync(CancellationToken cancellationToken = default)
    {
        if (!Loop.IsLoopThread)
        {
            return Loop.InvokeAsync(static s => s.Self.SendEofAsync(s.Token), (Self: this, Token: cancellationToken));
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (IsClosed)
        {
            return ValueTask.FromException(UvErrors.Closed("stream"));
        }

        if (_shutdownRequested)
        {
            return ValueTask.CompletedTask;
        }

        if (_send.InUse)
        {
            return ValueTask.FromException(BusyResourceException.For("sending"));
        }

        _shutdownRequested = true;
        _shutdownReq = AllocReq(Uv.ReqType.Shutdown);
        int status = Uv.uv_shutdown(_shutdownReq, Handle, &OnShutdown);
        if (status < 0)
        {
            return status == -107 ? ValueTask.CompletedTask : ValueTask.FromException(UvErrors.Broken(status, "shutdown"));
        }

        // uv_shutdown waits for a chunk still in flight from a cancelled send, then calls shutdown(SHUT_WR).
        short version = _send.Start();
        _sendPending = true;
        _shutdownPending = true;
        _sendToken = cancellationToken;
        if (cancellationToken.CanBeCanceled)
        {
            _sendRegistration = cancellationToken.UnsafeRegister(s_sendCancelled, this);
        }

        return _send.AsValueTask(version);
    }

    [UnmanagedCallersOnly]
    private static void OnShutdown(IntPtr req, int status)
    {
        try
        {
            UvStream stream = FromReq<UvStream>(req);
            bool wasPending = stream._shutdownPending && stream._sendPending;
            stream._shutdownPending = false;
            if (wasPending)
            {
                // ENOTCONN: the peer is already gone, so there is nothing left to half-close.
                stream.FinishSend(status >= 0 || status == -107 ? null
                    : stream.IsClosed ? UvErrors.Closed("stream") : UvErrors.Broken(status, "shutdown"));
            }
        }
        catch (Exception e)
        {
            LibuvLoop.ReportCallbackFailure(e);
        }
    }

    // ---------------------------------------------------------------- close

    protected override void OnClosing()
    {
        _connectCompletion?.TrySetResult(Uv.UV_ECANCELED);
        if (_receive.IsPending)
        {
            _receive.Fail(UvErrors.Closed("stream"));
        }

        if (_sendPending)
        {
            FinishSend(UvErrors.Closed("stream"));
        }
    }

    protected override void OnClosed()
    {
        // libuv has called back every request of the handle by now.
        FreeReq(ref _writeReq);
        FreeReq(ref _shutdownReq);
        FreeReq(ref _connectReq);
    }

    private IPEndPoint? ReadTcpName(bool peer)
    {
        byte* storage = stackalloc byte[SockAddr.StorageSize];
        int length = SockAddr.StorageSize;
        int status = peer ? Uv.uv_tcp_getpeername(Handle, storage, &length) : Uv.uv_tcp_getsockname(Handle, storage, &length);
        return status < 0 ? null : SockAddr.Read(new ReadOnlySpan<byte>(storage, length));
    }
}

/// <summary>The async parts of <see cref="UvStream"/> (await is not allowed in an unsafe context).</summary>
internal sealed partial class UvStream
{
    public static async ValueTask<ISocketStream> ConnectTcpAsync(LibuvLoop loop, IPEndPoint remote, CancellationToken cancellationToken)
    {
        if (!loop.IsLoopThread)
        {
            return await loop.InvokeAsync(() => ConnectTcpAsync(loop, remote, cancellationToken));
        }

        cancellationToken.ThrowIfCancellationRequested();
        return await StartConnectTcp(loop, remote).FinishConnectAsync(remote, cancellationToken);
    }

    public static async ValueTask<ISocketStream> ConnectUnixAsync(LibuvLoop loop, string path, CancellationToken cancellationToken)
    {
        if (!loop.IsLoopThread)
        {
            return await loop.InvokeAsync(() => ConnectUnixAsync(loop, path, cancellationToken));
        }

        cancellationToken.ThrowIfCancellationRequested();
        return await StartConnectUnix(loop, path).FinishConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
    }

    private async ValueTask<ISocketStream> FinishConnectAsync(EndPoint remote, CancellationToken cancellationToken)
    {
        int status;
        using (cancellationToken.UnsafeRegister(static s => ((UvStream)s!).Loop.Post(static s2 => ((UvStream)s2!).Close(), s), this))
        {
            status = await _connectCompletion!.Task;
        }

        if (status < 0)
        {
            Close();
            cancellationToken.ThrowIfCancellationRequested();
            if (status == Uv.UV_ECANCELED)
            {
                throw new ClosedResourceException("The backend was disposed while connecting.");
            }

            throw UvErrors.Exception(status, "connect", remote);
        }

        if (IsClosed)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw new ClosedResourceException("The backend was disposed while connecting.");
        }

        Established(_isPipe ? null : remote);
        return this;
    }
}
