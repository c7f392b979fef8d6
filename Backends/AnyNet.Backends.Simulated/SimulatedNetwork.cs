using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using AnyNet.Backends.Simulated.Internal;
using AnyNet.Testing;

namespace AnyNet.Backends.Simulated;

/// <summary>
/// A deterministic simulated network: hosts (each an <see cref="IAsyncBackend"/>), links with latency, bandwidth, loss
/// and partitions, one scheduler thread and one virtual clock for all of them. Application code written against
/// <see cref="IAsyncBackend"/> runs on it unchanged; no real socket is ever opened.
/// </summary>
/// <remarks>
/// <para>
/// Every random choice (which ready task runs next, jitter, datagram loss, duplication and reordering) comes from one
/// generator seeded with <see cref="SimulatedNetworkOptions.Seed"/>, so the same seed replays the same run, event for
/// event (<see cref="Trace"/>), and another seed explores another interleaving. When every task waits, the clock jumps
/// to the next timer or delivery, so half an hour of simulated time takes milliseconds.
/// </para>
/// <para>
/// Determinism holds only for code that stays inside the simulation: <c>Task.Run</c>, <c>ConfigureAwait(false)</c>,
/// <c>Threads.RunOnThreadAsync</c>, real I/O and real timers (<see cref="TimeProvider.System"/>, <c>Task.Delay</c>
/// without the host's <see cref="IAsyncBackend.TimeProvider"/>) run on real threads at real speed. When such work comes
/// back into the simulation, or calls a simulated socket from another thread, it is reported in
/// <see cref="DeterminismViolations"/>.
/// </para>
/// </remarks>
public sealed class SimulatedNetwork : IAsyncDisposable, IDisposable
{
    private static readonly TimeSpan s_synRetry = TimeSpan.FromSeconds(1);

    private readonly List<SimulatedHost> _hosts = [];
    private readonly Dictionary<string, IPAddress[]> _names = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<(SimulatedHost, SimulatedHost), LinkConditions> _links = [];
    private readonly Dictionary<(SimulatedHost, SimulatedHost), TimeSpan> _busyUntil = [];
    private readonly HashSet<(SimulatedHost, SimulatedHost)> _partitions = [];
    private readonly List<SimConnection> _connections = [];
    private readonly PriorityQueue<Action, (long Due, long Sequence)> _events = new();
    private readonly List<SimulationEvent> _trace = [];
    private readonly Lock _violationGate = new();
    private readonly List<string> _violations = [];
    private readonly ITimer _eventTimer;
    private readonly Random _random;
    private readonly long _startTicks;
    private readonly LinkConditions _loopback;
    private readonly List<TaskCompletionSource> _topologyWaiters = [];
    private long _eventSequence;
    private long _armedFor = long.MinValue;
    private bool _runDuePosted;
    private long _connectionIds;
    private long _droppedTraceEvents;
    private int _disposed;

    /// <summary>Creates an empty network (add hosts with <see cref="AddHost"/>).</summary>
    public SimulatedNetwork(SimulatedNetworkOptions? options = null)
    {
        options ??= new SimulatedNetworkOptions();
        options.Validate();
        Options = options;
        Clock = options.Clock ?? new ManualTimeProvider { AutoAdvance = true };
        _startTicks = Clock.GetUtcNow().UtcTicks;
        _random = new Random(options.Seed);
        _loopback = LinkConditions.Perfect with { Latency = options.LoopbackLatency };
        Loop = new SimLoop(_random, options.ShuffleReadyTasks, Clock, options.OutsideWorkGrace, ReportEscape);
        TimeProvider = new SimClock(Clock, Loop);
        _eventTimer = Clock.CreateTimer(static s => ((SimulatedNetwork)s!).OnEventTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The options the network was made with.</summary>
    public SimulatedNetworkOptions Options { get; }

    /// <summary>The seed of this run.</summary>
    public int Seed => Options.Seed;

    /// <summary>The virtual clock every host shares.</summary>
    public ManualTimeProvider Clock { get; }

    /// <summary>The hosts' <see cref="IAsyncBackend.TimeProvider"/>: the virtual clock, with immediate timers run as scheduler steps.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>Virtual time since the network was created.</summary>
    public TimeSpan Now => TimeSpan.FromTicks(Clock.GetUtcNow().UtcTicks - _startTicks);

    /// <summary>The hosts, in the order they were added.</summary>
    public IReadOnlyList<SimulatedHost> Hosts => Loop.Invoke(() => _hosts.ToArray());

    /// <summary>What happened, in order: connections, bytes delivered, resets, datagrams, partitions, crashes, <see cref="Log"/> lines.</summary>
    public IReadOnlyList<SimulationEvent> Trace => Loop.IsStopped ? [.. _trace] : Loop.Invoke(() => _trace.ToArray());

    /// <summary>Each time code outside the simulation (another thread) touched it: the run may not replay exactly.</summary>
    public IReadOnlyList<string> DeterminismViolations
    {
        get
        {
            lock (_violationGate)
            {
                return [.. _violations];
            }
        }
    }

    internal SimLoop Loop { get; }

    internal Random Random => _random;

    /// <summary>Adds a host. Without <paramref name="address"/> it gets the next one of 192.0.2.0/24 (and of 2001:db8::/32).</summary>
    /// <param name="name">Its name, which <see cref="IAsyncBackend.ResolveAsync"/> resolves on every host.</param>
    /// <param name="address">Its IPv4 or IPv6 address; the documentation ranges (RFC 5737, RFC 3849) keep simulated traffic recognisable.</param>
    /// <exception cref="ArgumentException">The name or the address is already taken, or the address is loopback or unspecified.</exception>
    public SimulatedHost AddHost(string name, IPAddress? address = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return Loop.Invoke(() =>
        {
            ThrowIfDisposed();
            if (_hosts.Any(h => string.Equals(h.HostName, name, StringComparison.OrdinalIgnoreCase)) || string.Equals(name, "localhost", StringComparison.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"A host named '{name}' already exists in the simulated network.", nameof(name));
            }

            int n = _hosts.Count + 1;
            if (n > 254 && address is null)
            {
                throw new InvalidOperationException("The simulated network assigns at most 254 addresses of 192.0.2.0/24; give the host an address.");
            }

            IPAddress v4 = new([192, 0, 2, (byte)n]);
            IPAddress v6 = IPAddress.Parse($"2001:db8::{n:x}");
            if (address is not null)
            {
                if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
                {
                    throw new ArgumentException($"{address} cannot be a host address: every host has its own loopback.", nameof(address));
                }

                if (FindHost(address) is { } taken)
                {
                    throw new ArgumentException($"The address {address} already belongs to host '{taken.HostName}'.", nameof(address));
                }

                if (address.AddressFamily == AddressFamily.InterNetwork)
                {
                    v4 = address;
                }
                else
                {
                    v6 = address;
                }
            }

            var host = new SimulatedHost(this, name, v4, v6);
            _hosts.Add(host);
            Record(host, $"host added: {v4}, {v6}");
            return host;
        });
    }

    internal void Adopt(SimulatedHost host) => Loop.Invoke(() =>
    {
        _hosts.Add(host);
        Record(host, $"host added: {host.Address}, {host.Address6}");
        return true;
    });

    /// <summary>Adds (or replaces) a name in the network's name table, which every host's <c>ResolveAsync</c> uses instead of DNS.</summary>
    public void AddName(string name, params IPAddress[] addresses)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(addresses);
        if (addresses.Length == 0)
        {
            throw new ArgumentException("A name needs at least one address.", nameof(addresses));
        }

        Loop.Invoke(() => _names[name] = [.. addresses]);
    }

    /// <summary>Sets the conditions of the link between <paramref name="a"/> and <paramref name="b"/>, in both directions.</summary>
    public void SetLink(SimulatedHost a, SimulatedHost b, LinkConditions conditions)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(conditions);
        conditions.Validate();
        if (ReferenceEquals(a.Root, b.Root))
        {
            throw new ArgumentException("A host's loopback is always perfect; give two different hosts.", nameof(b));
        }

        (a, b) = (a.Root, b.Root);
        Loop.Invoke(() =>
        {
            _links[(a, b)] = conditions;
            _links[(b, a)] = conditions;
            Record(null, $"link {a.HostName} <-> {b.HostName}: latency {conditions.Latency.TotalMilliseconds} ms, jitter {conditions.Jitter.TotalMilliseconds} ms, bandwidth {conditions.BandwidthBytesPerSecond?.ToString(CultureInfo.InvariantCulture) ?? "unlimited"} B/s, loss {conditions.LossRate}, duplication {conditions.DuplicateRate}, reordering {conditions.ReorderRate}");
            return true;
        });
    }

    /// <summary>Cuts the path between two hosts: nothing passes either way until <see cref="Heal()"/>.</summary>
    public void Partition(SimulatedHost a, SimulatedHost b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        (a, b) = (a.Root, b.Root);
        Loop.Invoke(() =>
        {
            _partitions.Add((a, b));
            _partitions.Add((b, a));
            Record(null, $"partition {a.HostName} | {b.HostName}");
            TopologyChanged();
            return true;
        });
    }

    /// <summary>Cuts <paramref name="host"/> off from every other host (its loopback still works).</summary>
    public void Isolate(SimulatedHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        foreach (SimulatedHost other in Hosts)
        {
            if (!ReferenceEquals(other, host.Root))
            {
                Partition(host, other);
            }
        }
    }

    /// <summary>Ends every partition; what the partitions held back is retransmitted.</summary>
    public void Heal() => Loop.Invoke(() =>
    {
        _partitions.Clear();
        Record(null, "heal");
        TopologyChanged();
        return true;
    });

    /// <summary>Ends the partition between two hosts.</summary>
    public void Heal(SimulatedHost a, SimulatedHost b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        (a, b) = (a.Root, b.Root);
        Loop.Invoke(() =>
        {
            _partitions.Remove((a, b));
            _partitions.Remove((b, a));
            Record(null, $"heal {a.HostName} | {b.HostName}");
            TopologyChanged();
            return true;
        });
    }

    /// <summary>
    /// Crashes <paramref name="host"/>: the token of every <c>RunAsync</c> on it is cancelled, every socket and listener
    /// of it vanishes (its own calls fail with <see cref="BrokenResourceException"/>), its peers get a reset, and until
    /// <see cref="Restart"/> it answers nothing: connects to it time out and data sent to it is never acknowledged.
    /// </summary>
    public void Crash(SimulatedHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        Loop.Invoke(() =>
        {
            if (host.IsUp)
            {
                Record(host, "crash");
                host.Root.CrashNow();
                TopologyChanged();
            }

            return true;
        });
    }

    /// <summary>Brings a crashed host back, with no sockets: run its programs again with <see cref="SimulatedHost.RunAsync{T}"/>.</summary>
    public void Restart(SimulatedHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        Loop.Invoke(() =>
        {
            if (!host.IsUp)
            {
                host.RestartNow();
                Record(host, "restart");
                TopologyChanged();
            }

            return true;
        });
    }

    /// <summary>Runs <paramref name="action"/> on the scheduler at virtual time <paramref name="time"/> (since the network was created), for example a partition at 5 s and a heal at 12 s.</summary>
    public void At(TimeSpan time, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        Loop.Invoke(() =>
        {
            ScheduleAt(time, action);
            return true;
        });
    }

    /// <summary>Adds a line of the application's own to the <see cref="Trace"/> (must be called from simulated code).</summary>
    public void Log(string host, string what)
    {
        ArgumentNullException.ThrowIfNull(what);
        Loop.Execute(() => RecordLine(host ?? "app", what));
    }

    /// <summary>Runs scenario code on the scheduler, outside any host (a test driver that crashes and heals hosts, for example).</summary>
    public Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> main, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(main);
        ThrowIfDisposed();
        return Loop.InvokeAsync(() => main(cancellationToken), entry: true);
    }

    /// <summary>Runs scenario code on the scheduler, outside any host.</summary>
    public Task RunAsync(Func<CancellationToken, Task> main, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(main);
        return RunAsync<bool>(async token => { await main(token); return true; }, cancellationToken);
    }

    /// <summary>The trace, one event per line.</summary>
    public string TraceText()
    {
        var text = new StringBuilder();
        foreach (SimulationEvent e in Trace)
        {
            text.Append(e.ToString()).Append('\n');
        }

        if (Interlocked.Read(ref _droppedTraceEvents) > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"... and {_droppedTraceEvents} more events (TraceCapacity)\n");
        }

        return text.ToString();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await Loop.StopAsync().ConfigureAwait(false);
            return;
        }

        SimulatedHost[] hosts = Loop.IsStopped ? [] : await Loop.InvokeAsync(() => Task.FromResult(_hosts.ToArray()), entry: true).ConfigureAwait(false);
        foreach (SimulatedHost host in hosts)
        {
            await host.StopAsync().ConfigureAwait(false);
        }

        await Loop.StopAsync().ConfigureAwait(false);
        _eventTimer.Dispose();
        Loop.Dispose();
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">Called on the simulation's own thread (it would wait for itself): use <see cref="DisposeAsync"/>.</exception>
    public void Dispose()
    {
        if (Loop.IsOnLoopThread)
        {
            throw new InvalidOperationException("A simulated network cannot be disposed synchronously from its own scheduler thread; use DisposeAsync.");
        }

        DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>True once disposal has begun.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    internal long NextConnectionId() => ++_connectionIds;

    /// <summary>Completes <paramref name="signal"/> at the next partition, heal, crash or restart.</summary>
    internal void AddTopologyWaiter(TaskCompletionSource signal)
    {
        _topologyWaiters.RemoveAll(static s => s.Task.IsCompleted);
        _topologyWaiters.Add(signal);
    }

    internal void ReportEscape(string what)
    {
        lock (_violationGate)
        {
            if (_violations.Count < 1000)
            {
                _violations.Add($"{Now.TotalMilliseconds.ToString("0.000", CultureInfo.InvariantCulture)}ms: {what}");
            }
        }
    }

    internal void Record(SimulatedHost? host, string what) => RecordLine(host?.HostName ?? "network", what);

    internal SimulatedHost? FindHost(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        foreach (SimulatedHost host in _hosts)
        {
            if (host.Address.Equals(address) || host.Address6.Equals(address))
            {
                return host;
            }
        }

        return null;
    }

    internal IPAddress[]? LookUpName(string name)
    {
        if (_names.TryGetValue(name, out IPAddress[]? addresses))
        {
            return addresses;
        }

        SimulatedHost? host = _hosts.FirstOrDefault(h => string.Equals(h.HostName, name, StringComparison.OrdinalIgnoreCase));
        return host is null ? null : [host.Address, host.Address6];
    }

    internal bool IsPartitioned(SimulatedHost a, SimulatedHost b) => !ReferenceEquals(a.Root, b.Root) && _partitions.Contains((a.Root, b.Root));

    /// <summary>Whether a packet from <paramref name="from"/> gets to <paramref name="to"/> now.</summary>
    internal bool CanReach(SimulatedHost from, SimulatedHost to) =>
        from.IsUp && to.IsUp && !IsPartitioned(from, to);

    internal LinkConditions GetLink(SimulatedHost from, SimulatedHost to) =>
        ReferenceEquals(from.Root, to.Root) ? _loopback : _links.GetValueOrDefault((from.Root, to.Root)) ?? Options.DefaultLink;

    /// <summary>The delay of a stream segment of <paramref name="bytes"/>: queueing behind earlier segments at the link's bandwidth, then latency and jitter.</summary>
    internal TimeSpan StreamDelay(SimulatedHost from, SimulatedHost to, int bytes)
    {
        LinkConditions link = GetLink(from, to);
        TimeSpan delay = link.Latency + Jitter(link);
        if (link.BandwidthBytesPerSecond is long bandwidth && bytes > 0)
        {
            TimeSpan now = Now;
            TimeSpan start = _busyUntil.GetValueOrDefault((from.Root, to.Root));
            if (start < now)
            {
                start = now;
            }

            TimeSpan end = start + TimeSpan.FromTicks(Math.Max(1, bytes * TimeSpan.TicksPerSecond / bandwidth));
            _busyUntil[(from.Root, to.Root)] = end;
            delay += end - now;
        }

        return delay;
    }

    /// <summary>Sends one datagram: the link may lose, duplicate or delay it; the receiver is looked up when it arrives.</summary>
    internal void SendDatagram(SimDatagramSocket source, byte[] data, EndPoint target)
    {
        SimulatedHost from = source.Host;
        if (source.IsUnix)
        {
            string path = target is UnixDomainSocketEndPoint unix ? unix.ToString() : throw new ArgumentException($"A Unix datagram socket sends to a UnixDomainSocketEndPoint, not {target.GetType().Name}.", nameof(target));
            SimDatagramSocket receiver = from.FindUnixDatagram(path)
                ?? throw SocketErrors.Exception(111, "sendto", target);
            ScheduleAt(Now, () => receiver.Arrive(data, source.LocalEndPoint));
            return;
        }

        if (target is not IPEndPoint ip)
        {
            throw new ArgumentException($"A UDP socket sends to an IPEndPoint, not {target.GetType().Name}.", nameof(target));
        }

        SimulatedHost? to = IPAddress.IsLoopback(ip.Address) ? from.Root : FindHost(ip.Address);
        EndPoint sender = from.SourceEndPointFor((IPEndPoint)source.LocalEndPoint, ip.Address);
        if (to is null || !CanReach(from, to))
        {
            Record(from, $"datagram {sender} -> {ip} lost: {(to is null ? "no such host" : "unreachable")}");
            return;
        }

        LinkConditions link = GetLink(from, to);
        if (link.LossRate > 0 && _random.NextDouble() < link.LossRate)
        {
            Record(from, $"datagram {sender} -> {ip} lost on the link");
            return;
        }

        int copies = link.DuplicateRate > 0 && _random.NextDouble() < link.DuplicateRate ? 2 : 1;
        for (int copy = 0; copy < copies; copy++)
        {
            TimeSpan delay = StreamDelay(from, to, data.Length);
            if (link.ReorderRate > 0 && _random.NextDouble() < link.ReorderRate)
            {
                delay += TimeSpan.FromTicks((long)(_random.NextDouble() * link.ReorderDelay.Ticks));
            }

            if (copy > 0)
            {
                Record(from, $"datagram {sender} -> {ip} duplicated on the link");
            }

            ScheduleAt(Now + delay, () =>
            {
                if (!CanReach(from, to))
                {
                    Record(to, $"datagram {sender} -> {ip} lost: the path went down");
                    return;
                }

                if (to.FindUdp(ip) is { } receiver)
                {
                    receiver.Arrive(data, sender);
                }
                else
                {
                    Record(to, $"datagram {sender} -> {ip} dropped: nobody is bound there (port unreachable)");
                }
            });
        }
    }

    internal void Register(SimConnection connection)
    {
        if (_connections.Count > 64)
        {
            _connections.RemoveAll(static c => c.Ends.All(e => e is null || e.Closed || e.Dead) && !c.Pipes.Any(p => p.InFlight.Count > 0));
        }

        _connections.Add(connection);
    }

    /// <summary>Runs <paramref name="action"/> after <paramref name="delay"/> of virtual time, in order with other events due at the same time.</summary>
    internal void After(TimeSpan delay, Action action) => ScheduleAt(Now + delay, action);

    internal void ScheduleAt(TimeSpan time, Action action)
    {
        _events.Enqueue(action, (time.Ticks + _startTicks, ++_eventSequence));
        RescheduleEvents();
    }

    internal static SocketException ConnectError(SocketError error, string what, EndPoint endPoint) =>
        new((int)error, $"connect ({endPoint}) failed: {what}");

    internal static TimeSpan SynRetry => s_synRetry;

    private TimeSpan Jitter(LinkConditions link) =>
        link.Jitter > TimeSpan.Zero ? TimeSpan.FromTicks((long)(_random.NextDouble() * link.Jitter.Ticks)) : TimeSpan.Zero;

    private void RecordLine(string host, string what)
    {
        if (_trace.Count < Options.TraceCapacity)
        {
            _trace.Add(new SimulationEvent(Loop.Steps, Now, host, what));
        }
        else
        {
            _droppedTraceEvents++;
        }
    }

    private void TopologyChanged()
    {
        TaskCompletionSource[] waiters = [.. _topologyWaiters];
        _topologyWaiters.Clear();
        foreach (TaskCompletionSource waiter in waiters)
        {
            waiter.TrySetResult();
        }

        foreach (SimConnection connection in _connections.ToArray())
        {
            connection.Resume();
        }
    }

    private void RescheduleEvents()
    {
        if (!_events.TryPeek(out _, out (long Due, long Sequence) next))
        {
            return;
        }

        long now = Clock.GetUtcNow().UtcTicks;
        if (next.Due <= now)
        {
            if (!_runDuePosted)
            {
                _runDuePosted = true;
                Loop.Post(static s => ((SimulatedNetwork)s!).RunDueEvents(), this, entry: true);
            }

            return;
        }

        if (_armedFor != next.Due)
        {
            _armedFor = next.Due;
            _eventTimer.Change(TimeSpan.FromTicks(next.Due - now), Timeout.InfiniteTimeSpan);
        }
    }

    private void OnEventTimer() => Loop.Execute(() =>
    {
        _armedFor = long.MinValue;
        RunDueEvents();
    }, entry: true);

    private void RunDueEvents()
    {
        _runDuePosted = false;
        long now = Clock.GetUtcNow().UtcTicks;
        while (_events.TryPeek(out Action? action, out (long Due, long Sequence) due) && due.Due <= now)
        {
            _events.Dequeue();
            action();
        }

        RescheduleEvents();
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);
}
