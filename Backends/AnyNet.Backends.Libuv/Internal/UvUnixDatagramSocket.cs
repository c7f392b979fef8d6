using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using AnyNet.Backends.Libuv.Interop;

namespace AnyNet.Backends.Libuv.Internal;

/// <summary>
/// A Unix datagram socket. libuv has no handle for it, so the socket is made with socket(2) and watched with uv_poll,
/// libuv's way to integrate an external descriptor. Receives and sends try the syscall first and poll only on EAGAIN;
/// the descriptor is polled only for what a pending operation waits for, so nothing is read ahead.
/// </summary>
internal sealed unsafe class UvUnixDatagramSocket : UvHandle, IDatagramSocket
{
    private const int SockAddrUnSize = 110;

    private static readonly Action<object?> s_sendCancelled = static state =>
        ((UvUnixDatagramSocket)state!).Loop.Post(static s => ((UvUnixDatagramSocket)s!).CancelSend(), state);

    private readonly int _fd;
    private readonly string? _path;
    private readonly PendingReceive<DatagramReceiveResult> _receive;
    private readonly LoopOperation<bool> _send;
    private readonly byte[] _lastSender = new byte[SockAddrUnSize];
    private int _lastSenderLength = -1;
    private EndPoint? _lastSenderEndPoint;
    private int _polledEvents;

    private bool _sendPending;
    private ReadOnlyMemory<byte> _sendData;
    private byte[]? _sendAddress;
    private EndPoint? _sendEndPoint;
    private byte[]? _pendingSendAddress;
    private CancellationToken _sendToken;
    private CancellationTokenRegistration _sendRegistration;

    private UvUnixDatagramSocket(LibuvLoop loop, int fd, string? path)
        : base(loop, Uv.HandleType.Poll)
    {
        _fd = fd;
        _path = path;
        _receive = new PendingReceive<DatagramReceiveResult>(loop, UpdatePolling);
        _send = new LoopOperation<bool>(loop);
        CompleteInit(Uv.uv_poll_init_socket(loop.Native, Handle, fd), "uv_poll_init_socket");
    }

    public EndPoint LocalEndPoint { get; private set; } = null!;

    public EndPoint? RemoteEndPoint { get; private set; }

    public static UvUnixDatagramSocket Bind(LibuvLoop loop, string? path, string? remotePath)
    {
        loop.ThrowIfStopping();
        byte[]? local = path is null ? null : EncodeAddress(path);
        byte[]? remote = remotePath is null ? null : EncodeAddress(remotePath);
        if (path is not null && (File.Exists(path) || Directory.Exists(path)))
        {
            throw new SocketException((int)SocketError.AddressAlreadyInUse, $"bind ({path}) failed: the path '{path}' already exists");
        }

        if (path is not null)
        {
            SocketErrors.ThrowIfUnixDirectoryMissing(path);
        }

        int fd = Libc.socket(Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw UvErrors.Exception(-Marshal.GetLastPInvokeError(), "socket");
        }

        bool bound = false;
        try
        {
            if (local is not null)
            {
                fixed (byte* address = local)
                {
                    if (Libc.bind(fd, address, (uint)local.Length) != 0)
                    {
                        throw UvErrors.Exception(-Marshal.GetLastPInvokeError(), "bind", new UnixDomainSocketEndPoint(path!));
                    }
                }

                bound = true;
            }

            if (remote is not null)
            {
                fixed (byte* address = remote)
                {
                    if (Libc.connect(fd, address, (uint)remote.Length) != 0)
                    {
                        throw UvErrors.Exception(-Marshal.GetLastPInvokeError(), "connect", new UnixDomainSocketEndPoint(remotePath!));
                    }
                }
            }

            var socket = new UvUnixDatagramSocket(loop, fd, path)
            {
                LocalEndPoint = path is null ? UnixEndPoints.Unnamed : new UnixDomainSocketEndPoint(path),
                RemoteEndPoint = remotePath is null ? null : new UnixDomainSocketEndPoint(remotePath),
            };
            return socket;
        }
        catch
        {
            _ = Libc.close(fd);
            if (bound)
            {
                File.Delete(path!);
            }

            throw;
        }
    }

    /// <summary>struct sockaddr_un for <paramref name="path"/>: family, path, NUL.</summary>
    private static byte[] EncodeAddress(string path)
    {
        byte[] name = UnixEndPoints.EncodePath(path);
        byte[] address = new byte[2 + name.Length];
        address[0] = Libc.AF_UNIX;
        name.CopyTo(address, 2);
        return address;
    }

    public ValueTask<DatagramReceiveResult> ReceiveFromAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!Loop.IsLoopThread)
        {
            return Loop.InvokeAsync(static s => s.Self.ReceiveFromAsync(s.Buffer, s.Token), (Self: this, Buffer: buffer, Token: cancellationToken));
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<DatagramReceiveResult>(cancellationToken);
        }

        if (IsClosed)
        {
            return ValueTask.FromException<DatagramReceiveResult>(UvErrors.Closed("datagram socket"));
        }

        if (_receive.InUse)
        {
            return ValueTask.FromException<DatagramReceiveResult>(BusyResourceException.For("receiving"));
        }

        int errno = TryReceive(buffer, out DatagramReceiveResult result);
        if (errno == 0)
        {
            return _receive.CompletedAtOnce(result);
        }

        if (errno != Libc.EAGAIN)
        {
            return ValueTask.FromException<DatagramReceiveResult>(UvErrors.Broken(-errno, "receive"));
        }

        // recvfrom(2) reads only when called, so the buffer needs no pin.
        short version = _receive.Begin(buffer, pin: false);
        UpdatePolling();
        return _receive.Watch(version, cancellationToken);
    }

    /// <summary>recvfrom(2) once; 0 on success, else the errno.</summary>
    private int TryReceive(Memory<byte> buffer, out DatagramReceiveResult result)
    {
        byte* address = stackalloc byte[SockAddrUnSize];
        uint addressLength = SockAddrUnSize;
        nint received;
        using (MemoryHandle pin = buffer.Pin())
        {
            byte dummy;
            byte* pointer = buffer.IsEmpty ? &dummy : (byte*)pin.Pointer;
            do
            {
                received = Libc.recvfrom(_fd, pointer, (nuint)buffer.Length, 0, address, &addressLength);
            }
            while (received < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR);
        }

        if (received < 0)
        {
            result = default;
            return Marshal.GetLastPInvokeError();
        }

        result = new DatagramReceiveResult((int)received, Sender(new ReadOnlySpan<byte>(address, (int)Math.Min(addressLength, SockAddrUnSize))));
        return 0;
    }

    /// <summary>The sender's endpoint, reusing the last one while the address repeats (no allocation per datagram).</summary>
    private EndPoint Sender(ReadOnlySpan<byte> address)
    {
        if (_lastSenderEndPoint is not null && address.Length == _lastSenderLength && address.SequenceEqual(_lastSender.AsSpan(0, address.Length)))
        {
            return _lastSenderEndPoint;
        }

        ReadOnlySpan<byte> path = address.Length > 2 ? address[2..] : default;
        int end = path.IndexOf((byte)0);
        if (end >= 0)
        {
            path = path[..end];
        }

        address.CopyTo(_lastSender);
        _lastSenderLength = address.Length;
        _lastSenderEndPoint = path.IsEmpty ? UnixEndPoints.Unnamed : new UnixDomainSocketEndPoint(Encoding.UTF8.GetString(path));
        return _lastSenderEndPoint;
    }

    public ValueTask SendToAsync(ReadOnlyMemory<byte> datagram, EndPoint? remoteEndPoint = null, CancellationToken cancellationToken = default)
    {
        if (!Loop.IsLoopThread)
        {
            return Loop.InvokeAsync(static s => s.Self.SendToAsync(s.Data, s.To, s.Token), (Self: this, Data: datagram, To: remoteEndPoint, Token: cancellationToken));
        }

        if (IsClosed)
        {
            return ValueTask.FromException(UvErrors.Closed("datagram socket"));
        }

        if (remoteEndPoint is null && RemoteEndPoint is null)
        {
            return ValueTask.FromException(new InvalidOperationException("This datagram socket is not connected: give the address to send to."));
        }

        if (remoteEndPoint is not null and not UnixDomainSocketEndPoint)
        {
            return ValueTask.FromException(new ArgumentException($"A Unix datagram socket sends to Unix endpoints, not {remoteEndPoint.GetType().Name}.", nameof(remoteEndPoint)));
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (_send.InUse)
        {
            return ValueTask.FromException(BusyResourceException.For("sending"));
        }

        if (remoteEndPoint is not null && !ReferenceEquals(remoteEndPoint, _sendEndPoint))
        {
            // Encoded once per distinct destination object, so replying to the same sender does not allocate.
            _sendAddress = EncodeAddress(remoteEndPoint.ToString()!);
            _sendEndPoint = remoteEndPoint;
        }

        byte[]? address = remoteEndPoint is null ? null : _sendAddress;
        int errno = TrySend(datagram, address);
        if (errno == 0)
        {
            // Sent at once: counts against the cooperative budget, as every operation that did not wait does.
            return _send.TryCompleteAtOnce() ? ValueTask.CompletedTask : _send.AsValueTask(_send.Defer(true));
        }

        if (errno != Libc.EAGAIN)
        {
            return ValueTask.FromException(UvErrors.Broken(-errno, "send"));
        }

        short version = _send.Start();
        _sendPending = true;
        _sendData = datagram;
        _pendingSendAddress = address;
        _sendToken = cancellationToken;
        if (cancellationToken.CanBeCanceled)
        {
            _sendRegistration = cancellationToken.UnsafeRegister(s_sendCancelled, this);
        }

        UpdatePolling();
        return _send.AsValueTask(version);
    }

    private int TrySend(ReadOnlyMemory<byte> datagram, byte[]? address)
    {
        nint sent;
        using (MemoryHandle pin = datagram.Pin())
        {
            byte dummy;
            byte* pointer = datagram.IsEmpty ? &dummy : (byte*)pin.Pointer;
            fixed (byte* to = address)
            {
                do
                {
                    sent = Libc.sendto(_fd, pointer, (nuint)datagram.Length, Libc.MSG_NOSIGNAL, to, address is null ? 0u : (uint)address.Length);
                }
                while (sent < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR);
            }
        }

        return sent < 0 ? Marshal.GetLastPInvokeError() : 0;
    }

    /// <summary>Polls exactly for what pending operations wait for.</summary>
    private void UpdatePolling()
    {
        if (IsClosed)
        {
            return;
        }

        int events = (_receive.IsPending ? Uv.UV_READABLE : 0) | (_sendPending ? Uv.UV_WRITABLE : 0);
        if (events == _polledEvents)
        {
            return;
        }

        _polledEvents = events;
        int status = events == 0 ? Uv.uv_poll_stop(Handle) : Uv.uv_poll_start(Handle, events, &OnPoll);
        if (status < 0)
        {
            Exception error = UvErrors.Broken(status, "uv_poll_start");
            if (_receive.IsPending)
            {
                _receive.Fail(error);
            }

            if (_sendPending)
            {
                FinishSend(error);
            }
        }
    }

    [UnmanagedCallersOnly]
    private static void OnPoll(IntPtr handle, int status, int events)
    {
        try
        {
            FromHandle<UvUnixDatagramSocket>(handle).OnPoll(status, events);
        }
        catch (Exception e)
        {
            Fault(handle, e);
        }
    }

    private void OnPoll(int status, int events)
    {
        if (status < 0)
        {
            Exception error = UvErrors.Broken(status, "poll");
            if (_receive.IsPending)
            {
                _receive.Fail(error);
            }

            if (_sendPending)
            {
                FinishSend(error);
            }

            return;
        }

        if (_receive.IsPending && (events & Uv.UV_READABLE) != 0)
        {
            int errno = TryReceive(_receive.Buffer, out DatagramReceiveResult result);
            if (errno == 0)
            {
                _receive.Complete(result);
            }
            else if (errno != Libc.EAGAIN)
            {
                _receive.Fail(UvErrors.Broken(-errno, "receive"));
            }
        }

        if (_sendPending && (events & Uv.UV_WRITABLE) != 0)
        {
            int errno = TrySend(_sendData, _pendingSendAddress);
            if (errno == 0)
            {
                FinishSend(null);
            }
            else if (errno != Libc.EAGAIN)
            {
                FinishSend(UvErrors.Broken(-errno, "send"));
            }
        }
    }

    private void CancelSend()
    {
        if (_sendPending && _sendToken.IsCancellationRequested)
        {
            FinishSend(new OperationCanceledException(_sendToken));
        }
    }

    private void FinishSend(Exception? error)
    {
        _sendPending = false;
        _sendData = default;
        _pendingSendAddress = null;
        _ = _sendRegistration.Unregister();
        _sendRegistration = default;
        _sendToken = default;
        UpdatePolling();
        if (error is null)
        {
            _send.SetResult(true);
        }
        else
        {
            _send.SetException(error);
        }
    }

    public override ValueTask DisposeAsync()
    {
        // Off the loop the base hands this very method to the loop; there, the socket closes at once and the path it
        // bound goes with it.
        if (!Loop.IsLoopThread || IsClosed)
        {
            return base.DisposeAsync();
        }

        ValueTask closed = base.DisposeAsync();
        if (_path is not null)
        {
            File.Delete(_path);
        }

        return closed;
    }

    protected override void OnClosing()
    {
        if (_receive.IsPending)
        {
            _receive.Fail(UvErrors.Closed("datagram socket"));
        }

        if (_sendPending)
        {
            FinishSend(UvErrors.Closed("datagram socket"));
        }
    }

    protected override void OnClosed()
    {
        // uv_poll does not own the descriptor: close it once libuv has let go of the handle.
        _ = Libc.close(_fd);
    }
}
