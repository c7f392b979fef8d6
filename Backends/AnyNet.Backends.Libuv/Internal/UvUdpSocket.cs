using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using AnyNet.Backends.Libuv.Interop;

namespace AnyNet.Backends.Libuv.Internal;

/// <summary>
/// A UDP socket (uv_udp_t). Like streams, it receives only while a receive is pending (uv_udp_recv_start/stop) and
/// straight into the caller's pinned buffer; a send tries uv_udp_try_send first and falls back to uv_udp_send.
/// </summary>
internal sealed unsafe class UvUdpSocket : UvHandle, IDatagramSocket
{
    // Stands in for an empty buffer (libuv needs a non-null base); its content is never used, so loops may share it.
    private static readonly byte[] s_scratch = GC.AllocateArray<byte>(1, pinned: true);

    private readonly PendingReceive<DatagramReceiveResult> _receive;
    private readonly LoopOperation<bool> _send;
    private readonly byte[] _lastSender = new byte[SockAddr.StorageSize];
    private IPEndPoint? _lastSenderEndPoint;

    private bool _receiving;

    private bool _sendPending;
    private MemoryHandle _sendPin;
    private IntPtr _sendReq;

    private UvUdpSocket(LibuvLoop loop, AddressFamily family)
        : base(loop, Uv.HandleType.Udp)
    {
        _receive = new PendingReceive<DatagramReceiveResult>(loop, StopReceiving);
        _send = new LoopOperation<bool>(loop);
        CompleteInit(Uv.uv_udp_init_ex(loop.Native, Handle, family == AddressFamily.InterNetworkV6 ? 10u : 2u), "uv_udp_init");
    }

    public EndPoint LocalEndPoint { get; private set; } = null!;

    private static byte* Scratch => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(s_scratch));

    public EndPoint? RemoteEndPoint { get; private set; }

    public static UvUdpSocket Bind(LibuvLoop loop, IPEndPoint local, IPEndPoint? remote)
    {
        loop.ThrowIfStopping();
        if (remote is not null && remote.AddressFamily != local.AddressFamily)
        {
            throw new ArgumentException($"The remote endpoint {remote} is not of the local endpoint's family ({local.AddressFamily}).", nameof(remote));
        }

        var socket = new UvUdpSocket(loop, local.AddressFamily);
        try
        {
            byte* address = stackalloc byte[SockAddr.StorageSize];
            _ = SockAddr.Write(local, new Span<byte>(address, SockAddr.StorageSize));
            int status = Uv.uv_udp_bind(socket.Handle, address, 0);
            if (status < 0)
            {
                throw UvErrors.Exception(status, "bind", local);
            }

            if (remote is not null)
            {
                _ = SockAddr.Write(remote, new Span<byte>(address, SockAddr.StorageSize));
                status = Uv.uv_udp_connect(socket.Handle, address);
                if (status < 0)
                {
                    throw UvErrors.Exception(status, "connect", remote);
                }

                socket.RemoteEndPoint = socket.ReadName(peer: true) ?? remote;
            }

            socket.LocalEndPoint = socket.ReadName(peer: false) ?? local;
            return socket;
        }
        catch
        {
            socket.Close();
            throw;
        }
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

        short version = _receive.Begin(buffer, pin: true);
        if (!_receiving)
        {
            int status = Uv.uv_udp_recv_start(Handle, &OnAlloc, &OnReceive);
            if (status < 0)
            {
                _receive.Fail(UvErrors.Broken(status, "receive"));
            }
            else
            {
                _receiving = true;
            }
        }

        return _receive.Watch(version, cancellationToken);
    }

    /// <summary>Ends a wait for a datagram: libuv stops receiving (nothing is read while no receive is pending).</summary>
    private void StopReceiving()
    {
        if (_receiving)
        {
            _receiving = false;
            if (!IsClosed)
            {
                _ = Uv.uv_udp_recv_stop(Handle);
            }
        }
    }

    [UnmanagedCallersOnly]
    private static void OnAlloc(IntPtr handle, nuint suggestedSize, Uv.Buf* buf)
    {
        try
        {
            UvUdpSocket socket = FromHandle<UvUdpSocket>(handle);
            if (!socket._receive.IsPending)
            {
                // Nothing is read while no receive is pending: libuv answers UV_ENOBUFS and the datagram stays queued.
                buf->Base = null;
                buf->Len = 0;
            }
            else if (socket._receive.Pointer == null)
            {
                // libuv refuses an empty buffer; a one-byte scratch receives (and, like recv(2) with an empty buffer,
                // truncates) the datagram.
                buf->Base = Scratch;
                buf->Len = 1;
            }
            else
            {
                buf->Base = socket._receive.Pointer;
                buf->Len = (nuint)socket._receive.Buffer.Length;
            }
        }
        catch (Exception e)
        {
            buf->Base = null;
            buf->Len = 0;
            LibuvLoop.ReportCallbackFailure(e);
        }
    }

    [UnmanagedCallersOnly]
    private static void OnReceive(IntPtr handle, nint nread, Uv.Buf* buf, byte* address, uint flags)
    {
        try
        {
            FromHandle<UvUdpSocket>(handle).OnReceive((int)nread, address);
        }
        catch (Exception e)
        {
            Fault(handle, e);
        }
    }

    private void OnReceive(int nread, byte* address)
    {
        if (!_receive.IsPending)
        {
            return;
        }

        if (nread == 0 && address == null)
        {
            // Nothing to read (EAGAIN); an empty datagram comes with its sender's address.
            return;
        }

        if (nread < 0)
        {
            if (nread != Uv.UV_ENOBUFS)
            {
                _receive.Fail(UvErrors.Broken(nread, "receive"));
            }

            return;
        }

        _receive.Complete(new DatagramReceiveResult(Math.Min(nread, _receive.Buffer.Length), Sender(address)));
    }

    /// <summary>The sender as an endpoint, reusing the last one when the address repeats (no allocation per datagram).</summary>
    private IPEndPoint Sender(byte* address)
    {
        int length = SockAddr.FamilyOf(new ReadOnlySpan<byte>(address, 2)) == AddressFamily.InterNetworkV6 ? 28 : 16;
        var current = new ReadOnlySpan<byte>(address, length);
        if (_lastSenderEndPoint is not null && current.SequenceEqual(_lastSender.AsSpan(0, length)))
        {
            return _lastSenderEndPoint;
        }

        current.CopyTo(_lastSender);
        _lastSenderEndPoint = SockAddr.Read(current) ?? new IPEndPoint(IPAddress.None, 0);
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

        if (remoteEndPoint is not null and not IPEndPoint)
        {
            return ValueTask.FromException(new ArgumentException($"A UDP socket sends to IP endpoints, not {remoteEndPoint.GetType().Name}.", nameof(remoteEndPoint)));
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (_send.InUse)
        {
            return ValueTask.FromException(BusyResourceException.For("sending"));
        }

        // libuv rejects an address on a connected socket (EISCONN); the connected peer itself needs none.
        var target = (IPEndPoint?)remoteEndPoint;
        if (target is not null && RemoteEndPoint is not null && target.Equals(RemoteEndPoint))
        {
            target = null;
        }

        byte* address = stackalloc byte[SockAddr.StorageSize];
        if (target is not null)
        {
            _ = SockAddr.Write(target, new Span<byte>(address, SockAddr.StorageSize));
        }

        byte* addressOrNull = target is null ? null : address;
        int status;
        fixed (byte* pointer = datagram.Span)
        {
            // A zero-length buffer needs a non-null base for libuv's iovec.
            Uv.Buf buf = new() { Base = pointer == null ? Scratch : pointer, Len = (nuint)datagram.Length };
            status = Uv.uv_udp_try_send(Handle, &buf, 1, addressOrNull);
        }

        if (status >= 0)
        {
            // Sent at once: counts against the cooperative budget like a stream send, or a tight send loop (UDP to a
            // peer that drops what it cannot queue never blocks) would keep the loop from its timers and other tasks.
            return _send.TryCompleteAtOnce() ? ValueTask.CompletedTask : _send.AsValueTask(_send.Defer(true));
        }

        if (status != Uv.UV_EAGAIN)
        {
            return ValueTask.FromException(UvErrors.Exception(status, "send", remoteEndPoint ?? RemoteEndPoint));
        }

        // The socket buffer is full: queue it. A datagram goes out whole or not at all, so this is not cancellable.
        short version = _send.Start();
        _sendPending = true;
        _sendPin = datagram.Pin();
        _sendReq = _sendReq == IntPtr.Zero ? AllocReq(Uv.ReqType.UdpSend) : _sendReq;
        Uv.Buf queued = new() { Base = datagram.IsEmpty ? Scratch : (byte*)_sendPin.Pointer, Len = (nuint)datagram.Length };
        status = Uv.uv_udp_send(_sendReq, Handle, &queued, 1, addressOrNull, &OnSend);
        if (status < 0)
        {
            FinishSend(UvErrors.Exception(status, "send", remoteEndPoint ?? RemoteEndPoint));
        }

        return _send.AsValueTask(version);
    }

    private void FinishSend(Exception? error)
    {
        _sendPending = false;
        _sendPin.Dispose();
        _sendPin = default;
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
    private static void OnSend(IntPtr req, int status)
    {
        try
        {
            UvUdpSocket socket = FromReq<UvUdpSocket>(req);
            if (socket._sendPending)
            {
                socket.FinishSend(status >= 0 ? null : socket.IsClosed ? UvErrors.Closed("datagram socket") : UvErrors.Broken(status, "send"));
            }
        }
        catch (Exception e)
        {
            LibuvLoop.ReportCallbackFailure(e);
        }
    }

    protected override void OnClosing()
    {
        if (_receive.IsPending)
        {
            _receive.Fail(UvErrors.Closed("datagram socket"));
        }
    }

    protected override void OnClosed()
    {
        FreeReq(ref _sendReq);
    }

    private IPEndPoint? ReadName(bool peer)
    {
        byte* storage = stackalloc byte[SockAddr.StorageSize];
        int length = SockAddr.StorageSize;
        int status = peer ? Uv.uv_udp_getpeername(Handle, storage, &length) : Uv.uv_udp_getsockname(Handle, storage, &length);
        return status < 0 ? null : SockAddr.Read(new ReadOnlySpan<byte>(storage, length));
    }
}
