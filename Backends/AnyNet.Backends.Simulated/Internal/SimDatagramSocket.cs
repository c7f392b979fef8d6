using System.Net;

namespace AnyNet.Backends.Simulated.Internal;

/// <summary>A simulated UDP or Unix datagram socket: a bounded queue of arrived datagrams.</summary>
internal sealed class SimDatagramSocket : IDatagramSocket, ISimResource
{
    private readonly Queue<(byte[] Data, EndPoint From)> _queue = new();
    private readonly Action _unregister;
    private readonly SimWaiterSlot _receiver = new();
    private bool _receiving;

    public SimDatagramSocket(SimulatedHost host, EndPoint localEndPoint, EndPoint? remoteEndPoint, bool isUnix, Action unregister)
    {
        Host = host;
        LocalEndPoint = localEndPoint;
        RemoteEndPoint = remoteEndPoint;
        IsUnix = isUnix;
        _unregister = unregister;
        host.Track(this);
    }

    public SimulatedHost Host { get; }

    public EndPoint LocalEndPoint { get; }

    public EndPoint? RemoteEndPoint { get; }

    public bool IsUnix { get; }

    public bool Closed { get; private set; }

    private SimLoop Loop => Host.Network.Loop;

    /// <summary>A datagram arrived. A connected socket takes only its peer's; a full queue drops it, as a full SO_RCVBUF does.</summary>
    public void Arrive(byte[] data, EndPoint from)
    {
        if (Closed)
        {
            return;
        }

        if (RemoteEndPoint is not null && !RemoteEndPoint.Equals(from))
        {
            Host.Network.Record(Host, $"datagram from {from} dropped: {LocalEndPoint} is connected to {RemoteEndPoint}");
            return;
        }

        if (!IsUnix && _queue.Count >= Host.Network.Options.DatagramQueueLength)
        {
            Host.Network.Record(Host, $"datagram from {from} dropped: the queue of {LocalEndPoint} is full");
            return;
        }

        _queue.Enqueue((data, from));
        Host.Network.Record(Host, $"datagram of {data.Length} bytes {from} -> {LocalEndPoint}");
        _receiver.Wake();
    }

    public ValueTask<DatagramReceiveResult> ReceiveFromAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!Loop.IsOnLoopThread)
        {
            Host.Network.ReportEscape("ReceiveFromAsync was called outside the simulation's scheduler thread");
            return new ValueTask<DatagramReceiveResult>(Loop.InvokeAsync(() => ReceiveCoreAsync(buffer, cancellationToken), entry: true));
        }

        return new ValueTask<DatagramReceiveResult>(ReceiveCoreAsync(buffer, cancellationToken));
    }

    public ValueTask SendToAsync(ReadOnlyMemory<byte> datagram, EndPoint? remoteEndPoint = null, CancellationToken cancellationToken = default)
    {
        byte[] copy = datagram.ToArray();
        Loop.Invoke(() =>
        {
            if (Closed)
            {
                throw new ClosedResourceException("The socket was closed.");
            }

            cancellationToken.ThrowIfCancellationRequested();
            EndPoint target = remoteEndPoint ?? RemoteEndPoint
                ?? throw new InvalidOperationException("The socket is not connected: give the address to send to.");
            Host.Network.SendDatagram(this, copy, target);
            return true;
        });
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        Loop.Execute(Close, entry: true);
        return ValueTask.CompletedTask;
    }

    void ISimResource.OnHostCrash() => Close();

    private void Close()
    {
        if (Closed)
        {
            return;
        }

        Closed = true;
        _unregister();
        Host.Untrack(this);
        _queue.Clear();
        _receiver.Fail(new ClosedResourceException("The socket was closed."));
    }

    private async Task<DatagramReceiveResult> ReceiveCoreAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (Closed)
        {
            throw new ClosedResourceException("The socket was closed.");
        }

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
                if (Closed)
                {
                    throw new ClosedResourceException("The socket was closed.");
                }

                if (_queue.TryDequeue(out (byte[] Data, EndPoint From) next))
                {
                    // As recvfrom(2): the part that does not fit is discarded.
                    int n = Math.Min(next.Data.Length, buffer.Length);
                    next.Data.AsSpan(0, n).CopyTo(buffer.Span);
                    await Loop.SpendBudgetAsync(waited);
                    return new DatagramReceiveResult(n, next.From);
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
}
