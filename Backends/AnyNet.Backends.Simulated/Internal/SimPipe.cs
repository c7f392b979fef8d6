namespace AnyNet.Backends.Simulated.Internal;

/// <summary>
/// One direction of a simulated stream connection: the sender's bounded send buffer, the segments on the wire, and
/// the receiver's bounded receive buffer. Bytes leave the send buffer only while the receive buffer has room for them
/// (the receive window), so a slow reader stalls the writer exactly as on a real socket.
/// </summary>
internal sealed class SimPipe
{
    public ByteQueue SendQueue { get; } = new();

    public Queue<Segment> InFlight { get; } = new();

    public int InFlightBytes { get; set; }

    public ByteQueue Received { get; } = new();

    /// <summary>SendEofAsync or a graceful close asked for a FIN after the queued bytes.</summary>
    public bool EofRequested { get; set; }

    public bool FinSent { get; set; }

    public bool FinReceived { get; set; }

    /// <summary>When the last segment arrives: later segments never overtake it (streams stay ordered under jitter).</summary>
    public TimeSpan LastArrival { get; set; }

    public bool StallTimerArmed { get; set; }

    public bool HasUnacknowledgedData => SendQueue.Count > 0 || InFlight.Count > 0 || (EofRequested && !FinSent);

    /// <summary>Drops what has not arrived yet; what already sits in the receive buffer stays readable (as on Linux after a reset).</summary>
    public void ClearInTransit()
    {
        SendQueue.Clear();
        InFlight.Clear();
        InFlightBytes = 0;
    }

    public void Clear()
    {
        SendQueue.Clear();
        InFlight.Clear();
        InFlightBytes = 0;
        Received.Clear();
    }

    /// <summary>Bytes, or a FIN (<see cref="Data"/> null), due at the receiver at <see cref="Arrival"/>.</summary>
    public readonly record struct Segment(byte[]? Data, TimeSpan Arrival);
}
