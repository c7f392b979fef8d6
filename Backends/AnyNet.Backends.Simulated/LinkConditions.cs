namespace AnyNet.Backends.Simulated;

/// <summary>
/// How a simulated link between two hosts behaves, in each direction. Streams (TCP-like) feel latency, jitter and
/// bandwidth; loss, duplication and reordering apply to datagrams only, because a stream protocol hides them
/// (it retransmits and reorders on its own), as TCP does.
/// </summary>
public sealed record LinkConditions
{
    /// <summary>A perfect link: no delay, unlimited bandwidth, nothing lost. Loopback traffic always uses it.</summary>
    public static readonly LinkConditions Perfect = new() { Latency = TimeSpan.Zero };

    /// <summary>One-way delay of every packet. Default 1 ms.</summary>
    public TimeSpan Latency { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>A random extra delay, uniform in [0, Jitter), added to each packet. Streams still deliver in order. Default zero.</summary>
    public TimeSpan Jitter { get; init; }

    /// <summary>Bytes per second the link carries in each direction; null for unlimited (the default).</summary>
    public long? BandwidthBytesPerSecond { get; init; }

    /// <summary>The probability (0..1) that a datagram is lost. Default 0.</summary>
    public double LossRate { get; init; }

    /// <summary>The probability (0..1) that a datagram is delivered twice. Default 0.</summary>
    public double DuplicateRate { get; init; }

    /// <summary>The probability (0..1) that a datagram is held back by up to <see cref="ReorderDelay"/>, so later ones overtake it. Default 0.</summary>
    public double ReorderRate { get; init; }

    /// <summary>The longest extra delay of a reordered datagram. Default 10 ms.</summary>
    public TimeSpan ReorderDelay { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming a bad value.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Latency, TimeSpan.Zero, nameof(Latency));
        ArgumentOutOfRangeException.ThrowIfLessThan(Jitter, TimeSpan.Zero, nameof(Jitter));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReorderDelay, TimeSpan.Zero, nameof(ReorderDelay));
        if (BandwidthBytesPerSecond is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(BandwidthBytesPerSecond), BandwidthBytesPerSecond, "The bandwidth must be positive (or null for unlimited).");
        }

        CheckRate(LossRate, nameof(LossRate));
        CheckRate(DuplicateRate, nameof(DuplicateRate));
        CheckRate(ReorderRate, nameof(ReorderRate));
    }

    private static void CheckRate(double value, string name)
    {
        if (double.IsNaN(value) || value < 0 || value > 1)
        {
            throw new ArgumentOutOfRangeException(name, value, "A rate is a probability between 0 and 1.");
        }
    }
}
