namespace AnyNet;

/// <summary>
/// TCP keepalive for served connections (<see cref="ListenOptions.KeepAlive"/>) and outgoing ones (<see cref="ConnectOptions.KeepAlive"/>): after <see cref="Idle"/> without
/// traffic the kernel sends a probe every <see cref="Interval"/>, and after <see cref="ProbeCount"/> unanswered probes it
/// resets the connection, so a peer that vanished without a FIN or RST ends with an error instead of being held forever.
/// Applied with setsockopt(2) SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL and TCP_KEEPCNT (tcp(7)), whole seconds.
/// </summary>
public sealed record TcpKeepAlive
{
    /// <summary>Time without traffic before the first probe (TCP_KEEPIDLE). Default 60 seconds.</summary>
    public TimeSpan Idle { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Time between probes (TCP_KEEPINTVL). Default 10 seconds.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Unanswered probes before the connection is reset (TCP_KEEPCNT). Default 5.</summary>
    public int ProbeCount { get; init; } = 5;

    /// <summary><see cref="Idle"/> in whole seconds.</summary>
    public int IdleSeconds => (int)Idle.TotalSeconds;

    /// <summary><see cref="Interval"/> in whole seconds.</summary>
    public int IntervalSeconds => (int)Interval.TotalSeconds;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming a value the kernel would refuse.</summary>
    public void Validate()
    {
        // tcp(7): TCP_KEEPIDLE and TCP_KEEPINTVL 1..32767 seconds, TCP_KEEPCNT 1..127.
        if (Idle < TimeSpan.FromSeconds(1) || Idle > TimeSpan.FromSeconds(32767) || Idle.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Idle), Idle, "The keepalive idle time must be whole seconds from 1 to 32767.");
        }

        if (Interval < TimeSpan.FromSeconds(1) || Interval > TimeSpan.FromSeconds(32767) || Interval.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Interval), Interval, "The keepalive interval must be whole seconds from 1 to 32767.");
        }

        if (ProbeCount is < 1 or > 127)
        {
            throw new ArgumentOutOfRangeException(nameof(ProbeCount), ProbeCount, "The keepalive probe count must be from 1 to 127.");
        }
    }
}
