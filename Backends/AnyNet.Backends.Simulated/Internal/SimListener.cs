using System.Net;

namespace AnyNet.Backends.Simulated.Internal;

/// <summary>A listening stream socket of a host: connections that arrived wait here, up to the backlog, to be accepted.</summary>
internal sealed class SimListener : ISocketListener, ISimResource
{
    private readonly Queue<SimStreamSocket> _pending = new();
    private readonly Action _unregister;
    private readonly SimWaiterSlot _acceptor = new();
    private bool _accepting;

    public SimListener(SimulatedHost host, EndPoint localEndPoint, int backlog, Action unregister)
    {
        Host = host;
        LocalEndPoint = localEndPoint;
        Backlog = backlog;
        _unregister = unregister;
        host.Track(this);
    }

    public SimulatedHost Host { get; }

    public EndPoint LocalEndPoint { get; }

    public int Backlog { get; }

    public bool Closed { get; private set; }

    /// <summary>True when the accept queue is full: a new connection's SYN is dropped and retried, as on Linux.</summary>
    public bool IsFull => _pending.Count >= Backlog;

    private SimLoop Loop => Host.Network.Loop;

    public void Enqueue(SimStreamSocket server)
    {
        _pending.Enqueue(server);
        _acceptor.Wake();
    }

    public ValueTask<ISocketStream> AcceptAsync(CancellationToken cancellationToken = default)
    {
        if (!Loop.IsOnLoopThread)
        {
            Host.Network.ReportEscape("AcceptAsync was called outside the simulation's scheduler thread");
            return new ValueTask<ISocketStream>(Loop.InvokeAsync(() => AcceptCoreAsync(cancellationToken), entry: true));
        }

        return new ValueTask<ISocketStream>(AcceptCoreAsync(cancellationToken));
    }

    public ValueTask DisposeAsync()
    {
        Loop.Execute(() => Close(crash: false), entry: true);
        return ValueTask.CompletedTask;
    }

    void ISimResource.OnHostCrash() => Close(crash: true);

    private void Close(bool crash)
    {
        if (Closed)
        {
            return;
        }

        Closed = true;
        _unregister();
        Host.Untrack(this);
        Host.Network.Record(Host, $"stop listening on {LocalEndPoint}");
        _acceptor.Fail(new ClosedResourceException("The listener was closed."));
        while (_pending.TryDequeue(out SimStreamSocket? pending))
        {
            if (crash)
            {
                pending.Crash();
            }
            else
            {
                pending.Abort();
            }
        }
    }

    private async Task<ISocketStream> AcceptCoreAsync(CancellationToken cancellationToken)
    {
        if (Closed)
        {
            throw new ClosedResourceException("The listener was closed.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (_accepting)
        {
            throw BusyResourceException.For("accepting");
        }

        _accepting = true;
        bool waited = false;
        try
        {
            while (true)
            {
                if (Closed)
                {
                    throw new ClosedResourceException("The listener was closed.");
                }

                while (_pending.TryDequeue(out SimStreamSocket? next))
                {
                    if (!next.Closed)
                    {
                        Host.Network.Record(Host, $"accept {next.RemoteEndPoint} -> {next.LocalEndPoint}");
                        await Loop.SpendBudgetAsync(waited);
                        return next;
                    }
                }

                waited = true;
                await _acceptor.WaitAsync(Loop, cancellationToken);
            }
        }
        finally
        {
            _accepting = false;
        }
    }
}
