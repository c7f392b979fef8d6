using System.Net;
using System.Net.Sockets;

namespace AnyNet.Backends.Simulated.Internal;

/// <summary>One end of a <see cref="SimConnection"/>: the <see cref="ISocketStream"/> user code holds.</summary>
internal sealed class SimStreamSocket : ISocketStream, ISimResource
{
    private readonly SimWaiterSlot _receiver = new();
    private readonly SimWaiterSlot _sender = new();
    private bool _receiving;
    private bool _sending;

    public SimStreamSocket(SimConnection connection, int index, SimulatedHost host, EndPoint localEndPoint, EndPoint remoteEndPoint)
    {
        Connection = connection;
        Index = index;
        Host = host;
        LocalEndPoint = localEndPoint;
        RemoteEndPoint = remoteEndPoint;
        connection.Ends[index] = this;
        host.Track(this);
    }

    public SimConnection Connection { get; }

    public int Index { get; }

    public SimulatedHost Host { get; }

    public EndPoint LocalEndPoint { get; }

    public EndPoint RemoteEndPoint { get; }

    /// <summary>The user disposed this end.</summary>
    public bool Closed { get; private set; }

    /// <summary>This end sends nothing more: its host crashed, or it was closed with a reset.</summary>
    public bool Dead { get; private set; }

    /// <summary>Why the connection broke (reset, timeout, crash), if it did.</summary>
    public SocketException? Error { get; private set; }

    private SimPipe Outgoing => Connection.Pipes[Index];

    private SimPipe Incoming => Connection.Pipes[1 - Index];

    private SimLoop Loop => Connection.Network.Loop;

    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!Loop.IsOnLoopThread)
        {
            Connection.Network.ReportEscape("ReceiveAsync was called outside the simulation's scheduler thread");
            return new ValueTask<int>(Loop.InvokeAsync(() => ReceiveCoreAsync(buffer, cancellationToken), entry: true));
        }

        return new ValueTask<int>(ReceiveCoreAsync(buffer, cancellationToken));
    }

    public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (!Loop.IsOnLoopThread)
        {
            Connection.Network.ReportEscape("SendAsync was called outside the simulation's scheduler thread");
            return new ValueTask(Loop.InvokeAsync(async () => { await SendCoreAsync(data, cancellationToken); return true; }, entry: true));
        }

        return new ValueTask(SendCoreAsync(data, cancellationToken));
    }

    public ValueTask SendEofAsync(CancellationToken cancellationToken = default)
    {
        Loop.Invoke(() =>
        {
            ThrowIfClosed();
            cancellationToken.ThrowIfCancellationRequested();
            if (_sending)
            {
                // The FIN must follow every byte of the send in progress: half-closing now would cut it short.
                throw BusyResourceException.For("sending");
            }

            if (!Outgoing.EofRequested && Error is null)
            {
                Outgoing.EofRequested = true;
                Connection.Network.Record(Host, $"{Connection.Kind}#{Connection.Id} eof from {LocalEndPoint}");
                Connection.Pump(Index);
            }

            return true;
        });
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        Loop.Execute(Close, entry: true);
        return ValueTask.CompletedTask;
    }

    /// <summary>Closes this end: a FIN after the queued bytes, or a reset when received bytes were never read (as Linux does).</summary>
    private void Close()
    {
        if (Closed)
        {
            return;
        }

        Closed = true;
        Host.Untrack(this);
        FailWaiters(new ClosedResourceException("The socket was closed."));
        if (Dead || Error is not null)
        {
            return;
        }

        if (Incoming.Received.Count > 0)
        {
            // Linux: the unsent bytes are dropped and a reset follows what is already on the wire (the peer still reads
            // that first, then sees the reset).
            Connection.Network.Record(Host, $"{Connection.Kind}#{Connection.Id} closed with unread data at {LocalEndPoint}: reset");
            Dead = true;
            Outgoing.SendQueue.Clear();
            Incoming.Clear();
            Connection.SendReset(Index, evenIfCrashed: false);
            return;
        }

        Connection.Network.Record(Host, $"{Connection.Kind}#{Connection.Id} close {LocalEndPoint}");
        Outgoing.EofRequested = true;
        Connection.Pump(Index);
    }

    /// <summary>The host crashed: this end vanishes, and the kernel's last act is a reset to the peer.</summary>
    public void Crash()
    {
        if (Dead)
        {
            return;
        }

        Connection.SendReset(Index, evenIfCrashed: true);
        Dead = true;
        Error ??= new SocketException((int)SocketError.ConnectionAborted, $"The host '{Host.Name}' crashed.");
        Outgoing.Clear();
        Incoming.Clear();
        FailWaiters(SocketErrorsBroken(Error));
    }

    public void Fail(SocketError error, string why)
    {
        if (Error is not null || Dead)
        {
            return;
        }

        Error = new SocketException((int)error, $"{Connection.Kind} connection {LocalEndPoint} -> {RemoteEndPoint}: {why}");
        Dead = error == SocketError.ConnectionReset;
        Outgoing.Clear();
        // What arrived before the reset or the timeout is still read first (tcp_recvmsg returns queued data before
        // the socket's error).
        Incoming.ClearInTransit();
        FailWaiters(SocketErrorsBroken(Error));
    }

    void ISimResource.OnHostCrash() => Crash();

    /// <summary>A connection that was never accepted: the listener closed, so the peer gets a reset.</summary>
    public void Abort()
    {
        if (Closed)
        {
            return;
        }

        Closed = true;
        Host.Untrack(this);
        if (!Dead)
        {
            Connection.SendReset(Index, evenIfCrashed: false);
            Dead = true;
        }
    }

    public void WakeReceiver() => _receiver.Wake();

    public void WakeSender() => _sender.Wake();

    private static BrokenResourceException SocketErrorsBroken(SocketException error) => SocketErrors.Broken(error);

    private void FailWaiters(Exception error)
    {
        _receiver.Fail(error);
        _sender.Fail(error);
    }

    private void ThrowIfClosed()
    {
        if (Closed)
        {
            throw new ClosedResourceException("The socket was closed.");
        }
    }

    private async Task<int> ReceiveCoreAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        cancellationToken.ThrowIfCancellationRequested();
        if (_receiving)
        {
            throw BusyResourceException.For("receiving");
        }

        _receiving = true;
        bool waited = false;
        try
        {
            while (true)
            {
                ThrowIfClosed();
                SimPipe incoming = Incoming;
                if (Error is not null && incoming.Received.Count == 0)
                {
                    throw SocketErrors.Broken(Error);
                }

                if (incoming.Received.Count > 0)
                {
                    if (buffer.IsEmpty)
                    {
                        await Loop.SpendBudgetAsync(waited);
                        return 0;
                    }

                    int n = incoming.Received.Dequeue(buffer.Span);
                    // The window opened: the peer may send more.
                    Connection.Pump(1 - Index);
                    await Loop.SpendBudgetAsync(waited);
                    return n;
                }

                if (incoming.FinReceived)
                {
                    await Loop.SpendBudgetAsync(waited);
                    return 0;
                }

                waited = true;
                await _receiver.WaitAsync(Loop, cancellationToken);
            }
        }
        finally
        {
            _receiving = false;
        }
    }

    private async Task SendCoreAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        if (Outgoing.EofRequested)
        {
            throw new ClosedResourceException("The sending side was closed with SendEofAsync.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (_sending)
        {
            throw BusyResourceException.For("sending");
        }

        _sending = true;
        bool waited = false;
        try
        {
            int offset = 0;
            while (true)
            {
                ThrowIfClosed();
                if (Error is not null)
                {
                    throw SocketErrors.Broken(Error);
                }

                SimPipe outgoing = Outgoing;
                int space = Connection.Network.Options.SendBufferSize - outgoing.SendQueue.Count;
                if (space > 0 && offset < data.Length)
                {
                    int n = Math.Min(space, data.Length - offset);
                    outgoing.SendQueue.Enqueue(data.Span.Slice(offset, n));
                    offset += n;
                    Connection.Pump(Index);
                }

                if (offset == data.Length)
                {
                    await Loop.SpendBudgetAsync(waited);
                    return;
                }

                if (Outgoing.SendQueue.Count < Connection.Network.Options.SendBufferSize)
                {
                    continue;
                }

                waited = true;
                await _sender.WaitAsync(Loop, cancellationToken);
            }
        }
        finally
        {
            _sending = false;
        }
    }
}
