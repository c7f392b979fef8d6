using System.Net.Sockets;

namespace AnyNet.Backends.Simulated.Internal;

/// <summary>
/// A simulated stream connection (TCP or Unix) between two ends, possibly on two hosts. <c>Pipes[i]</c> carries bytes
/// from <c>Ends[i]</c> to the other end. Everything here runs on the scheduler thread.
/// </summary>
internal sealed class SimConnection
{
    // A network segment (about ten Ethernet frames) and a loopback one (Linux's loopback MTU is 64 KiB).
    private const int SegmentSize = 16 * 1024;
    private const int LoopbackSegmentSize = 64 * 1024;

    public SimConnection(SimulatedNetwork network, string kind)
    {
        Network = network;
        Kind = kind;
        Id = network.NextConnectionId();
    }

    public SimulatedNetwork Network { get; }

    public string Kind { get; }

    public long Id { get; }

    public SimStreamSocket[] Ends { get; } = new SimStreamSocket[2];

    public SimPipe[] Pipes { get; } = [new SimPipe(), new SimPipe()];

    private SimulatedNetworkOptions Options => Network.Options;

    /// <summary>Moves what the receive window allows from the send buffer of pipe <paramref name="p"/> onto the wire.</summary>
    public void Pump(int p)
    {
        SimStreamSocket sender = Ends[p];
        SimStreamSocket receiver = Ends[1 - p];
        SimPipe pipe = Pipes[p];
        if (sender.Dead || sender.Error is not null)
        {
            return;
        }

        if (!Network.CanReach(sender.Host, receiver.Host))
        {
            ArmStall(p);
            return;
        }

        bool moved = false;
        while (pipe.SendQueue.Count > 0)
        {
            int window = Options.ReceiveBufferSize - pipe.Received.Count - pipe.InFlightBytes;
            if (window <= 0)
            {
                break;
            }

            int segment = ReferenceEquals(sender.Host.Root, receiver.Host.Root) ? LoopbackSegmentSize : SegmentSize;
            byte[] data = pipe.SendQueue.Dequeue(Math.Min(window, segment));
            pipe.InFlightBytes += data.Length;
            Transmit(p, data);
            moved = true;
        }

        if (pipe.SendQueue.Count == 0 && pipe.EofRequested && !pipe.FinSent)
        {
            pipe.FinSent = true;
            Transmit(p, null);
        }

        if (moved)
        {
            sender.WakeSender();
        }
    }

    /// <summary>Delivers the segments of pipe <paramref name="p"/> that are due.</summary>
    public void Deliver(int p)
    {
        SimStreamSocket sender = Ends[p];
        SimStreamSocket receiver = Ends[1 - p];
        SimPipe pipe = Pipes[p];
        if (sender.Error is not null && sender.Dead)
        {
            return;
        }

        if (!Network.CanReach(sender.Host, receiver.Host))
        {
            // The path went down while the segments were on the wire: they are retransmitted after the heal.
            ArmStall(p);
            return;
        }

        bool arrived = false;
        TimeSpan now = Network.Now;
        while (pipe.InFlight.Count > 0 && pipe.InFlight.Peek().Arrival <= now)
        {
            SimPipe.Segment segment = pipe.InFlight.Dequeue();
            if (segment.Data is null)
            {
                pipe.FinReceived = true;
                Network.Record(receiver.Host, $"{Kind}#{Id} fin -> {receiver.LocalEndPoint}");
            }
            else
            {
                pipe.InFlightBytes -= segment.Data.Length;
                if (receiver.Closed || receiver.Dead)
                {
                    // Data for a socket that no longer exists is answered with a reset (RFC 793, "Reset Generation").
                    Network.Record(receiver.Host, $"{Kind}#{Id} {segment.Data.Length} bytes to a closed socket: reset");
                    pipe.InFlight.Clear();
                    pipe.InFlightBytes = 0;
                    SendReset(1 - p, evenIfCrashed: false);
                    return;
                }

                pipe.Received.Enqueue(segment.Data);
                Network.Record(receiver.Host, $"{Kind}#{Id} {segment.Data.Length} bytes -> {receiver.LocalEndPoint}");
            }

            arrived = true;
        }

        if (arrived)
        {
            receiver.WakeReceiver();
        }
    }

    /// <summary>After a heal: what was held back by the partition goes out again.</summary>
    public void Resume()
    {
        for (int p = 0; p < 2; p++)
        {
            SimPipe pipe = Pipes[p];
            if (!Network.CanReach(Ends[p].Host, Ends[1 - p].Host))
            {
                continue;
            }

            if (pipe.InFlight.Count > 0)
            {
                // Retransmitted: the held segments arrive one latency after the heal, still in order.
                var held = pipe.InFlight.ToArray();
                pipe.InFlight.Clear();
                pipe.LastArrival = TimeSpan.Zero;
                foreach (SimPipe.Segment segment in held)
                {
                    TimeSpan arrival = Network.Now + Network.StreamDelay(Ends[p].Host, Ends[1 - p].Host, segment.Data?.Length ?? 0);
                    arrival = arrival < pipe.LastArrival ? pipe.LastArrival : arrival;
                    pipe.LastArrival = arrival;
                    pipe.InFlight.Enqueue(segment with { Arrival = arrival });
                    int index = p;
                    Network.At(arrival, () => Deliver(index));
                }
            }

            Pump(p);
        }
    }

    /// <summary>Sends a reset from end <paramref name="from"/> to its peer, which sees ECONNRESET one latency later.</summary>
    public void SendReset(int from, bool evenIfCrashed)
    {
        SimStreamSocket source = Ends[from];
        SimStreamSocket target = Ends[1 - from];
        if (target is null || target.Dead || target.Closed)
        {
            return;
        }

        // The reset never overtakes the segments already on the wire from the same end.
        TimeSpan at = Network.Now + Network.StreamDelay(source.Host, target.Host, 0);
        TimeSpan lastSegment = Pipes[from].InFlight.Count > 0 ? Pipes[from].LastArrival : TimeSpan.Zero;
        Network.ScheduleAt(at < lastSegment ? lastSegment : at, () =>
        {
            bool reachable = evenIfCrashed
                ? target.Host.IsUp && !Network.IsPartitioned(source.Host, target.Host)
                : Network.CanReach(source.Host, target.Host);
            if (reachable && !target.Dead && !target.Closed)
            {
                Network.Record(target.Host, $"{Kind}#{Id} reset by peer at {target.LocalEndPoint}");
                target.Fail(SocketError.ConnectionReset, "connection reset by peer");
            }
        });
    }

    private void Transmit(int p, byte[]? data)
    {
        SimPipe pipe = Pipes[p];
        TimeSpan arrival = Network.Now + Network.StreamDelay(Ends[p].Host, Ends[1 - p].Host, data?.Length ?? 0);
        if (arrival < pipe.LastArrival)
        {
            arrival = pipe.LastArrival;
        }

        pipe.LastArrival = arrival;
        pipe.InFlight.Enqueue(new SimPipe.Segment(data, arrival));
        Network.At(arrival, () => Deliver(p));
    }

    private void ArmStall(int p)
    {
        SimPipe pipe = Pipes[p];
        if (pipe.StallTimerArmed || !pipe.HasUnacknowledgedData)
        {
            return;
        }

        pipe.StallTimerArmed = true;
        Network.After(Options.RetransmissionTimeout, () =>
        {
            pipe.StallTimerArmed = false;
            SimStreamSocket sender = Ends[p];
            if (!pipe.HasUnacknowledgedData || sender.Dead || sender.Error is not null)
            {
                return;
            }

            if (Network.CanReach(sender.Host, Ends[1 - p].Host))
            {
                Resume();
                return;
            }

            Network.Record(sender.Host, $"{Kind}#{Id} retransmission timeout at {sender.LocalEndPoint}");
            sender.Fail(SocketError.TimedOut, "no acknowledgement from the peer (retransmission timeout)");
        });
    }
}
