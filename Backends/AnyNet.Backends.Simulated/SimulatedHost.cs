using System.Net;
using System.Net.Sockets;
using AnyNet.Backends.Simulated.Internal;

namespace AnyNet.Backends.Simulated;

/// <summary>
/// One host of a <see cref="SimulatedNetwork"/>, and the <see cref="IAsyncBackend"/> (named <c>sim</c>) its programs
/// run on. It has its own addresses, loopback (127.0.0.1 and ::1 reach only this host), ports and Unix socket paths;
/// the clock and the scheduler thread are the network's.
/// </summary>
public sealed class SimulatedHost : IAsyncBackend
{
    private const int FirstEphemeralPort = SimMachine.FirstEphemeralPort;
    private static readonly EndPoint s_unnamed = new UnixDomainSocketEndPoint("/").Create(new SocketAddress(AddressFamily.Unix, 2));

    private readonly BackendLifetime _lifetime = new("sim");
    private readonly HashSet<ISimResource> _resources = [];
    private readonly HashSet<Task> _insideMains = [];
    private readonly SimMachine _machine;
    private CancellationTokenSource _incarnation = new();
    private int _disposed;

    internal SimulatedHost(SimulatedNetwork network, string name, IPAddress address, IPAddress address6, SimMachine? machine = null)
    {
        Network = network;
        HostName = name;
        Address = address;
        Address6 = address6;
        _machine = machine ?? new SimMachine(this);
    }


    /// <summary>
    /// A host named <c>host</c> on a new network of its own, which it disposes when it is disposed: the parameterless
    /// form that backend discovery (<c>AnyNetBackends</c>) and dependency injection can make, and a drop-in backend for
    /// application tests.
    /// </summary>
    public SimulatedHost()
        : this(new SimulatedNetwork(), "host", new IPAddress([192, 0, 2, 1]), IPAddress.Parse("2001:db8::1"))
    {
        Network.Adopt(this);
        OwnsNetwork = true;
    }

    /// <summary>Makes a network with one host, which disposes the network when it is disposed: a drop-in backend for tests.</summary>
    public static SimulatedHost CreateStandalone(SimulatedNetworkOptions? options = null, string name = "host")
    {
        var network = new SimulatedNetwork(options);
        SimulatedHost host = network.AddHost(name);
        host.OwnsNetwork = true;
        return host;
    }

    /// <summary>The network the host belongs to.</summary>
    public SimulatedNetwork Network { get; }

    /// <summary>The host's name in the network (resolvable on every host).</summary>
    public string HostName { get; }

    /// <summary>The host's IPv4 address.</summary>
    public IPAddress Address { get; }

    /// <summary>The host's IPv6 address.</summary>
    public IPAddress Address6 { get; }

    /// <summary>False between <see cref="SimulatedNetwork.Crash"/> and <see cref="SimulatedNetwork.Restart"/>.</summary>
    public bool IsUp => _machine.IsUp;

    /// <summary>The machine's first host object: the one partitions, links and crashes refer to.</summary>
    internal SimulatedHost Root => _machine.Root;

    /// <summary>
    /// Another program on the same machine: it shares the addresses, the loopback, the ports and the Unix paths (so it
    /// can connect to this one's listeners on 127.0.0.1), and crashes with it, but has its own <see cref="RunAsync{T}"/>
    /// lifetime and sockets; disposing it stops only its own programs and closes only its own sockets.
    /// </summary>
    public SimulatedHost CreateProcess() => Network.Loop.Invoke(() =>
    {
        ThrowIfUnusable();
        var process = new SimulatedHost(Network, HostName, Address, Address6, _machine);
        _machine.Processes.Add(process);
        return process;
    });

    /// <inheritdoc />
    public string Name => "sim";

    /// <inheritdoc />
    /// <remarks>No <see cref="BackendCapabilities.ReusePort"/>: a simulated port has one listener.</remarks>
    public BackendCapabilities Capabilities =>
        BackendCapabilities.UnixSockets | BackendCapabilities.UnixDatagram | BackendCapabilities.Udp | BackendCapabilities.Ipv6
        | BackendCapabilities.SingleThreadedLoop | BackendCapabilities.VirtualTime | BackendCapabilities.WaitAllTasksBlocked;

    /// <inheritdoc />
    public TimeProvider TimeProvider => Network.TimeProvider;

    internal bool OwnsNetwork { get; private set; }

    private SimLoop Loop => Network.Loop;

    /// <inheritdoc />
    /// <remarks>The token of <paramref name="main"/> is also cancelled when the host crashes.</remarks>
    /// <exception cref="InvalidOperationException">The host is crashed (call <see cref="SimulatedNetwork.Restart"/> first).</exception>
    public Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> main, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(main);
        if (Loop.IsOnLoopThread)
        {
            // From simulated code (a scenario starting a host's program): stay on the scheduler all the way, without
            // the ConfigureAwait(false) hops of BackendLifetime, which would come back from the thread pool.
            return RunInsideAsync(main, cancellationToken);
        }

        return _lifetime.RunAsync(
            token => RunIncarnationAsync(main, token),
            start => Loop.InvokeAsync(start, entry: true),
            cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Every task of the whole simulated network counts (its hosts share one scheduler): the wait ends when the ready set
    /// runs empty, before virtual time jumps to the next timer or network delivery.
    /// </remarks>
    public Task WaitAllTasksBlockedAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Loop.IsStopped, this);
        Task blocked = Loop.BlockedWaiters.WaitAsync(cancellationToken);
        if (!Loop.IsOnLoopThread)
        {
            // Wakes a scheduler asleep with nothing to run, so that it sees the new waiter (an entry: not an escape).
            Loop.Post(static _ => { }, null, entry: true);
        }

        return blocked;
    }

    /// <inheritdoc />
    public ValueTask<ISocketStream> ConnectTcpAsync(IPEndPoint remoteEndPoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remoteEndPoint);
        return OnLoop(() => ConnectCoreAsync(remoteEndPoint, null, cancellationToken), "ConnectTcpAsync");
    }

    /// <inheritdoc />
    public ISocketListener ListenTcp(IPEndPoint localEndPoint, ListenOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        options ??= new ListenOptions();
        options.Validate();
        return InvokeOnLoop(() =>
        {
            ThrowIfUnusable();
            if (options.ReusePort)
            {
                throw new NotSupportedException("The 'sim' backend does not declare ReusePort: a simulated port has one listener.");
            }

            IPEndPoint bound = Bind(_machine.Tcp.ContainsKey, localEndPoint);
            SimListener listener = null!;
            listener = new SimListener(this, bound, options.Backlog, () => _machine.Tcp.Remove((bound.Address, bound.Port)));
            _machine.Tcp[(bound.Address, bound.Port)] = listener;
            Network.Record(this, $"listen tcp {bound}");
            return (ISocketListener)listener;
        }, "ListenTcp");
    }

    /// <inheritdoc />
    public ValueTask<ISocketStream> ConnectUnixAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return OnLoop(() => ConnectCoreAsync(null, path, cancellationToken), "ConnectUnixAsync");
    }

    /// <inheritdoc />
    /// <remarks>The path exists only on this host (see <see cref="SimulatedNetworkOptions.MirrorUnixPathsToFileSystem"/>).</remarks>
    public ISocketListener ListenUnix(string path, ListenOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new ListenOptions();
        options.Validate();
        return InvokeOnLoop(() =>
        {
            ThrowIfUnusable();
            var endPoint = new UnixDomainSocketEndPoint(path);
            bool mirror = Network.Options.MirrorUnixPathsToFileSystem;
            if (_machine.Unix.ContainsKey(path) || _machine.UnixDatagrams.ContainsKey(path) || (mirror && Path.Exists(path)))
            {
                throw SocketErrors.Exception(98, "bind", endPoint);
            }

            if (mirror)
            {
                // The same error as a real bind in a missing directory, not File.Create's DirectoryNotFoundException.
                SocketErrors.ThrowIfUnixDirectoryMissing(path);
                using (File.Create(path))
                {
                }
            }

            var listener = new SimListener(this, endPoint, options.Backlog, () =>
            {
                _machine.Unix.Remove(path);
                if (mirror)
                {
                    File.Delete(path);
                }
            });
            _machine.Unix[path] = listener;
            Network.Record(this, $"listen unix {path}");
            return (ISocketListener)listener;
        }, "ListenUnix");
    }

    /// <inheritdoc />
    public IDatagramSocket BindUdp(IPEndPoint localEndPoint, IPEndPoint? remoteEndPoint = null)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        return InvokeOnLoop(() =>
        {
            ThrowIfUnusable();
            IPEndPoint bound = Bind(_machine.Udp.ContainsKey, localEndPoint);
            EndPoint? remote = remoteEndPoint is null ? null : new IPEndPoint(remoteEndPoint.Address, remoteEndPoint.Port);
            var socket = new SimDatagramSocket(this, bound, remote, isUnix: false, () => _machine.Udp.Remove((bound.Address, bound.Port)));
            _machine.Udp[(bound.Address, bound.Port)] = socket;
            Network.Record(this, $"bind udp {bound}");
            return (IDatagramSocket)socket;
        }, "BindUdp");
    }

    /// <inheritdoc />
    public IDatagramSocket BindUnixDatagram(string? path, string? remotePath = null)
    {
        return InvokeOnLoop(() =>
        {
            ThrowIfUnusable();
            if (path is not null && (path.Length == 0 || _machine.Unix.ContainsKey(path) || _machine.UnixDatagrams.ContainsKey(path)))
            {
                throw path.Length == 0 ? new ArgumentException("The path is empty.", nameof(path)) : SocketErrors.Exception(98, "bind", new UnixDomainSocketEndPoint(path));
            }

            if (path is not null && Network.Options.MirrorUnixPathsToFileSystem)
            {
                SocketErrors.ThrowIfUnixDirectoryMissing(path);
            }

            if (remotePath is not null && !_machine.UnixDatagrams.ContainsKey(remotePath))
            {
                throw SocketErrors.Exception(2, "connect", new UnixDomainSocketEndPoint(remotePath));
            }

            EndPoint local = path is null ? s_unnamed : new UnixDomainSocketEndPoint(path);
            EndPoint? remote = remotePath is null ? null : new UnixDomainSocketEndPoint(remotePath);
            var socket = new SimDatagramSocket(this, local, remote, isUnix: true, () =>
            {
                if (path is not null)
                {
                    _machine.UnixDatagrams.Remove(path);
                }
            });
            if (path is not null)
            {
                _machine.UnixDatagrams[path] = socket;
            }

            Network.Record(this, $"bind unix datagram {path ?? "(unnamed)"}");
            return (IDatagramSocket)socket;
        }, "BindUnixDatagram");
    }

    /// <inheritdoc />
    /// <remarks>From the network's name table (<see cref="SimulatedNetwork.AddName"/> and the host names), never DNS. <c>localhost</c> is this host's loopback.</remarks>
    public ValueTask<IPAddress[]> ResolveAsync(string host, AddressFamily family = AddressFamily.Unspecified, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        cancellationToken.ThrowIfCancellationRequested();
        IPAddress[] found = InvokeOnLoop(() =>
        {
            ThrowIfUnusable();
            IPAddress[]? addresses = string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
                ? [IPAddress.Loopback, IPAddress.IPv6Loopback]
                : IPAddress.TryParse(host, out IPAddress? literal) ? [literal] : Network.LookUpName(host);
            if (addresses is null)
            {
                throw new NameResolutionException(host, "not in the simulated network's name table");
            }

            IPAddress[] matching = family == AddressFamily.Unspecified ? addresses : addresses.Where(a => a.AddressFamily == family).ToArray();
            Network.Record(this, $"resolve {host}: {string.Join(", ", (IEnumerable<IPAddress>)matching)}");
            return matching.Length > 0 ? matching : throw new NameResolutionException(host, $"no {family} address in the simulated network's name table");
        }, "ResolveAsync");
        return ValueTask.FromResult(found);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await StopAsync().ConfigureAwait(false);
        if (OwnsNetwork)
        {
            await Network.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">Called on the scheduler thread while disposal has to wait (for running programs, or for the network it owns): use <see cref="DisposeAsync"/>.</exception>
    public void Dispose()
    {
        Task disposal = DisposeAsync().AsTask();
        if (Loop.IsOnLoopThread && !disposal.IsCompleted)
        {
            // Blocking here would stop the very thread the disposal waits for.
            throw new InvalidOperationException("A simulated host cannot be disposed synchronously from the simulation's scheduler thread while it has to wait; use DisposeAsync.");
        }

        disposal.GetAwaiter().GetResult();
    }

    /// <inheritdoc />
    public override string ToString() => $"{HostName} ({Address})";

    internal void Track(ISimResource resource) => _resources.Add(resource);

    internal void Untrack(ISimResource resource) => _resources.Remove(resource);

    /// <summary>Stops the host's programs and closes what they left open (disposal of the host or of the network).</summary>
    internal async Task StopAsync()
    {
        await _lifetime.StopAsync().ConfigureAwait(false);
        Task[] inside = Loop.IsStopped ? [] : Loop.IsOnLoopThread ? [.. _insideMains] : await Loop.InvokeAsync(() => Task.FromResult<Task[]>([.. _insideMains]), entry: true).ConfigureAwait(false);
        if (inside.Length > 0)
        {
            // The programs started from inside the simulation saw the lifetime's token cancelled: wait for them to end.
            await Task.WhenAll(inside).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        }

        if (Loop.IsOnLoopThread)
        {
            CloseResources();
        }
        else if (!Loop.IsStopped)
        {
            await Loop.InvokeAsync(() =>
            {
                CloseResources();
                return Task.FromResult(true);
            }, entry: true).ConfigureAwait(false);
        }
    }

    private void CloseResources()
    {
        foreach (ISimResource resource in _resources.ToArray())
        {
            if (resource is IAsyncDisposable disposable)
            {
                // Every simulated resource closes synchronously on the scheduler thread.
                _ = disposable.DisposeAsync().AsTask();
            }
        }

        _machine.Processes.Remove(this);
    }

    /// <summary>Crashes the machine: every process of it loses its sockets and its programs' tokens are cancelled.</summary>
    internal void CrashNow()
    {
        _machine.IsUp = false;
        var cancelled = new List<CancellationTokenSource>();
        foreach (SimulatedHost process in _machine.Processes)
        {
            cancelled.Add(process._incarnation);
            process._incarnation = new CancellationTokenSource();
            foreach (ISimResource resource in process._resources.ToArray())
            {
                resource.OnHostCrash();
            }

            process._resources.Clear();
        }

        _machine.Tcp.Clear();
        _machine.Udp.Clear();
        _machine.Unix.Clear();
        _machine.UnixDatagrams.Clear();
        foreach (CancellationTokenSource incarnation in cancelled)
        {
            incarnation.Cancel();
            incarnation.Dispose();
        }
    }

    internal void RestartNow() => _machine.IsUp = true;

    internal SimDatagramSocket? FindUnixDatagram(string path) => _machine.UnixDatagrams.GetValueOrDefault(path);

    internal SimDatagramSocket? FindUdp(IPEndPoint target) =>
        _machine.Udp.GetValueOrDefault((target.Address, target.Port)) ?? _machine.Udp.GetValueOrDefault((AnyOf(target.Address), target.Port));

    /// <summary>The address a packet from a socket bound to <paramref name="bound"/> carries when sent to <paramref name="destination"/>.</summary>
    internal IPEndPoint SourceEndPointFor(IPEndPoint bound, IPAddress destination)
    {
        if (!bound.Address.Equals(IPAddress.Any) && !bound.Address.Equals(IPAddress.IPv6Any))
        {
            return bound;
        }

        IPAddress source = IPAddress.IsLoopback(destination)
            ? destination
            : destination.AddressFamily == AddressFamily.InterNetworkV6 ? Address6 : Address;
        return new IPEndPoint(source, bound.Port);
    }

    private static IPAddress AnyOf(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;

    private bool IsOwnAddress(IPAddress address) =>
        IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)
        || address.Equals(Address) || address.Equals(Address6);

    private IPEndPoint Bind(Func<(IPAddress, int), bool> inUse, IPEndPoint requested)
    {
        if (!IsOwnAddress(requested.Address))
        {
            throw SocketErrors.Exception(99, "bind", requested);
        }

        int port = requested.Port;
        if (port == 0)
        {
            port = AllocatePort(p => inUse((requested.Address, p)) || inUse((AnyOf(requested.Address), p)));
        }
        else if (inUse((requested.Address, port)) || inUse((AnyOf(requested.Address), port))
            || ((requested.Address.Equals(IPAddress.Any) || requested.Address.Equals(IPAddress.IPv6Any)) && PortTakenOnAnyAddress(inUse, requested.AddressFamily, port)))
        {
            throw SocketErrors.Exception(98, "bind", requested);
        }

        return new IPEndPoint(requested.Address, port);
    }

    private bool PortTakenOnAnyAddress(Func<(IPAddress, int), bool> inUse, AddressFamily family, int port) =>
        (family == AddressFamily.InterNetwork ? new[] { IPAddress.Loopback, Address } : [IPAddress.IPv6Loopback, Address6]).Any(a => inUse((a, port)));

    private int AllocatePort(Func<int, bool> inUse)
    {
        for (int attempt = 0; attempt < IPEndPoint.MaxPort - FirstEphemeralPort; attempt++)
        {
            int port = _machine.NextPort;
            _machine.NextPort = port >= IPEndPoint.MaxPort ? FirstEphemeralPort : port + 1;
            if (!inUse(port))
            {
                return port;
            }
        }

        throw SocketErrors.Exception(98, "bind (no free ephemeral port)");
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0 || Network.IsDisposed, this);
        if (!IsUp)
        {
            throw new InvalidOperationException($"The simulated host '{HostName}' is crashed; restart it first.");
        }
    }

    private async Task<T> RunInsideAsync<T>(Func<CancellationToken, Task<T>> main, CancellationToken cancellationToken)
    {
        _lifetime.ThrowIfStopping();
        ThrowIfUnusable();
        await Task.Yield();   // main starts on a later step, as when it is posted from outside
        ThrowIfUnusable();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Stopping, _incarnation.Token);
        Task<T> task = main(linked.Token);
        _insideMains.Add(task);
        try
        {
            return await task;
        }
        finally
        {
            _insideMains.Remove(task);
        }
    }

    private async Task<T> RunIncarnationAsync<T>(Func<CancellationToken, Task<T>> main, CancellationToken token)
    {
        ThrowIfUnusable();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(token, _incarnation.Token);
        return await main(linked.Token);
    }

    private T InvokeOnLoop<T>(Func<T> function, string operation)
    {
        if (!Loop.IsOnLoopThread)
        {
            Network.ReportEscape($"{operation} was called outside the simulation's scheduler thread");
        }

        return Loop.Invoke(function);
    }

    private ValueTask<ISocketStream> OnLoop(Func<Task<ISocketStream>> operation, string name)
    {
        if (Loop.IsOnLoopThread)
        {
            return new ValueTask<ISocketStream>(operation());
        }

        Network.ReportEscape($"{name} was called outside the simulation's scheduler thread");
        return new ValueTask<ISocketStream>(Loop.InvokeAsync(operation, entry: true));
    }

    private async Task<ISocketStream> ConnectCoreAsync(IPEndPoint? remote, string? path, CancellationToken cancellationToken)
    {
        ThrowIfUnusable();
        cancellationToken.ThrowIfCancellationRequested();
        EndPoint target = remote ?? (EndPoint)new UnixDomainSocketEndPoint(path!);
        if (path is not null)
        {
            // A Unix socket is on this host: no wire, no delay.
            if (!_machine.Unix.TryGetValue(path, out SimListener? unixListener))
            {
                throw SocketErrors.Exception(2, "connect", target);
            }

            if (unixListener.IsFull)
            {
                throw SocketErrors.Exception(11, "connect", target);
            }

            return Establish(unixListener, s_unnamed, target, "unix");
        }

        IPEndPoint destination = remote!;
        SimulatedHost? peer = IPAddress.IsLoopback(destination.Address) ? Root : Network.FindHost(destination.Address);
        TimeSpan deadline = Network.Now + Network.Options.ConnectTimeout;
        Network.Record(this, $"connect {destination}");
        while (true)
        {
            ThrowIfUnusable();
            if (peer is null || !Network.CanReach(this, peer))
            {
                // No answer to the SYN: wait for the path to change, or give up at the connect timeout.
                await WaitForTopologyAsync(deadline, destination, cancellationToken);
                continue;
            }

            TimeSpan oneWay = Network.StreamDelay(this, peer, 0);
            await Delay(oneWay, cancellationToken);
            if (!Network.CanReach(this, peer))
            {
                continue;
            }

            SimListener? listener = peer.FindTcpListener(destination);
            if (listener is null)
            {
                Network.Record(peer, $"connection to {destination} refused");
                await Delay(Network.StreamDelay(peer, this, 0), cancellationToken);
                throw SocketErrors.Exception(111, "connect", destination);
            }

            if (listener.IsFull)
            {
                // Linux drops the SYN when the accept queue is full; the client retransmits it.
                await WaitUntilAsync(Network.Now + SimulatedNetwork.SynRetry, deadline, destination, cancellationToken);
                continue;
            }

            IPEndPoint local = new(IPAddress.IsLoopback(destination.Address) ? destination.Address
                : destination.AddressFamily == AddressFamily.InterNetworkV6 ? Address6 : Address, AllocateClientPort());
            SimStreamSocket client = Establish(listener, local, destination, "tcp");
            try
            {
                await Delay(Network.StreamDelay(peer, this, 0), cancellationToken);
            }
            catch
            {
                await client.DisposeAsync();
                throw;
            }

            return client;
        }
    }

    private SimStreamSocket Establish(SimListener listener, EndPoint clientLocal, EndPoint serverLocal, string kind)
    {
        var connection = new SimConnection(Network, kind);
        var client = new SimStreamSocket(connection, 0, this, clientLocal, serverLocal);
        var accepted = new SimStreamSocket(connection, 1, listener.Host, serverLocal, clientLocal);
        Network.Register(connection);
        Network.Record(this, $"{kind}#{connection.Id} connect {clientLocal} -> {serverLocal}");
        listener.Enqueue(accepted);
        return client;
    }

    private int AllocateClientPort() =>
        AllocatePort(p => _machine.Tcp.Keys.Any(k => k.Port == p) || _machine.Processes.Any(h => h._resources.OfType<SimStreamSocket>().Any(s => s.LocalEndPoint is IPEndPoint e && e.Port == p)));

    private SimListener? FindTcpListener(IPEndPoint target) =>
        _machine.Tcp.GetValueOrDefault((target.Address, target.Port)) ?? _machine.Tcp.GetValueOrDefault((AnyOf(target.Address), target.Port));

    private Task Delay(TimeSpan delay, CancellationToken cancellationToken) =>
        delay <= TimeSpan.Zero ? Task.CompletedTask : Task.Delay(delay, Network.TimeProvider, cancellationToken);

    private async Task WaitForTopologyAsync(TimeSpan deadline, EndPoint destination, CancellationToken cancellationToken)
    {
        TimeSpan remaining = deadline - Network.Now;
        if (remaining <= TimeSpan.Zero)
        {
            Network.Record(this, $"connect {destination} timed out");
            throw SocketErrors.Exception(110, "connect", destination);
        }

        // Not Task.WhenAny: its completion would run on the thread pool and come back from outside the simulation.
        TaskCompletionSource signal = SimWait.NewSignal();
        Network.AddTopologyWaiter(signal);
        using ITimer timeout = Network.TimeProvider.CreateTimer(static s => ((TaskCompletionSource)s!).TrySetResult(), signal, remaining, Timeout.InfiniteTimeSpan);
        await SimWait.WaitAsync(Loop, signal, cancellationToken);
    }

    private async Task WaitUntilAsync(TimeSpan until, TimeSpan deadline, EndPoint destination, CancellationToken cancellationToken)
    {
        if (until >= deadline)
        {
            await Delay(deadline - Network.Now, cancellationToken);
            throw SocketErrors.Exception(110, "connect", destination);
        }

        await Delay(until - Network.Now, cancellationToken);
    }
}
