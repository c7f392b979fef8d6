using AnyNet.Testing;

namespace AnyNet.Backends.Simulated;

/// <summary>Options for <see cref="SimulatedNetwork"/>.</summary>
public sealed record SimulatedNetworkOptions
{
    /// <summary>The seed of every random choice: the order ready tasks run in, jitter, loss, duplication, reordering. Default 0.</summary>
    public int Seed { get; init; }

    /// <summary>
    /// The virtual clock. Null (the default): a new <see cref="ManualTimeProvider"/> with <see cref="ManualTimeProvider.AutoAdvance"/>
    /// on, so time jumps to the next timer or delivery whenever every task waits.
    /// </summary>
    public ManualTimeProvider? Clock { get; init; }

    /// <summary>The link between two hosts unless <see cref="SimulatedNetwork.SetLink"/> says otherwise.</summary>
    public LinkConditions DefaultLink { get; init; } = new();

    /// <summary>
    /// The one-way delay of a host's loopback (127.0.0.1, ::1 and Unix sockets) and of traffic between processes of one
    /// machine. Default zero: local traffic takes no virtual time. A few microseconds make a local round trip measurable.
    /// </summary>
    public TimeSpan LoopbackLatency { get; init; }

    /// <summary>
    /// Run ready tasks in an order chosen by the seed (default true). False runs them first-in first-out, like a real
    /// loop; the run is deterministic either way, but only shuffling explores other interleavings.
    /// </summary>
    public bool ShuffleReadyTasks { get; init; } = true;

    /// <summary>Bytes a stream socket buffers for sending before a send waits (SO_SNDBUF). Default 64 KiB.</summary>
    public int SendBufferSize { get; init; } = 64 * 1024;

    /// <summary>Bytes a stream socket buffers for receiving; the peer stops sending when it is full (SO_RCVBUF). Default 64 KiB.</summary>
    public int ReceiveBufferSize { get; init; } = 64 * 1024;

    /// <summary>Datagrams a datagram socket queues before it drops new ones. Default 256.</summary>
    public int DatagramQueueLength { get; init; } = 256;

    /// <summary>
    /// How long a connect waits for an answer from a host it cannot reach (partitioned or crashed) before it fails with
    /// <see cref="System.Net.Sockets.SocketError.TimedOut"/>. Default 127 s, Linux's default (tcp_syn_retries = 6).
    /// </summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(127);

    /// <summary>
    /// How long stream data may stay unacknowledged on a path that is down before the connection is broken with
    /// <see cref="System.Net.Sockets.SocketError.TimedOut"/>. Default 15 minutes, about Linux's tcp_retries2 = 15.
    /// </summary>
    public TimeSpan RetransmissionTimeout { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// When true, a Unix stream listener also creates a regular (empty) file at its path, refuses a path that exists,
    /// and deletes the file when disposed, so code that looks for the socket file finds it. Default false: Unix paths
    /// live only in their host's namespace and nothing touches the file system.
    /// </summary>
    public bool MirrorUnixPathsToFileSystem { get; init; }

    /// <summary>
    /// The longest (real) time the scheduler waits, before it lets the clock jump, for work that left the simulation and
    /// is still under way. Default zero: a pure simulation never waits. A test that cancels through
    /// <c>CancellationTokenSource.CancelAsync</c> (whose callbacks run on the thread pool) or waits for real threads needs
    /// a few milliseconds, or its timeouts may fire first. The scheduler waits only while such work exists: a thread
    /// running code that started in the simulation (it carries the simulation's execution context), or thread-pool work
    /// queued and not started yet; with none, time jumps at once. While outside work has come back within the last
    /// second, the limit is ten times as long. Such code is not deterministic in any case.
    /// </summary>
    public TimeSpan OutsideWorkGrace { get; init; }

    /// <summary>The most trace events kept (later ones are counted, not stored). Default 200,000.</summary>
    public int TraceCapacity { get; init; } = 200_000;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming a bad value.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(DefaultLink);
        DefaultLink.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(SendBufferSize, 1, nameof(SendBufferSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReceiveBufferSize, 1, nameof(ReceiveBufferSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(DatagramQueueLength, 1, nameof(DatagramQueueLength));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ConnectTimeout, TimeSpan.Zero, nameof(ConnectTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RetransmissionTimeout, TimeSpan.Zero, nameof(RetransmissionTimeout));
        ArgumentOutOfRangeException.ThrowIfNegative(TraceCapacity, nameof(TraceCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(OutsideWorkGrace, TimeSpan.Zero, nameof(OutsideWorkGrace));
        ArgumentOutOfRangeException.ThrowIfLessThan(LoopbackLatency, TimeSpan.Zero, nameof(LoopbackLatency));
    }
}
