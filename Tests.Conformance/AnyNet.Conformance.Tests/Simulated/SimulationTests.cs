using System.Net;
using System.Net.Sockets;
using AnyNet.Backends.Simulated;
using AnyNet.Conformance;
using Xunit;

namespace AnyNet.Conformance.Tests.Simulated;

/// <summary>
/// The simulation area: what only the sim backend does. Link conditions are observed exactly in virtual time,
/// partitions stall and time out, crashes reset peers, slow links push back, and a seed replays a run event for event.
/// </summary>
public sealed class SimulationTests
{
    private static readonly TimeSpan s_wallClockLimit = TimeSpan.FromSeconds(20);

    [Fact]
    public Task Latency_is_observed_as_configured() => RunAsync(new() { DefaultLink = new LinkConditions { Latency = TimeSpan.FromMilliseconds(50) } }, async (network, token) =>
    {
        SimulatedHost a = network.AddHost("a");
        SimulatedHost b = network.AddHost("b");
        await using ISocketListener listener = b.ListenTcp(new IPEndPoint(b.Address, 80));
        ValueTask<ISocketStream> accept = listener.AcceptAsync(token);
        TimeSpan start = network.Now;
        await using ISocketStream client = await a.ConnectTcpAsync(new IPEndPoint(b.Address, 80), token);
        Assert.Equal(TimeSpan.FromMilliseconds(100), network.Now - start);   // SYN there, SYN-ACK back
        await using ISocketStream server = await accept;
        Assert.Equal(new IPEndPoint(a.Address, ((IPEndPoint)client.LocalEndPoint).Port), server.RemoteEndPoint);

        start = network.Now;
        await client.SendAsync("ping"u8.ToArray(), token);
        Assert.Equal("ping"u8.ToArray(), await server.ReceiveExactlyAsync(4, token));
        Assert.Equal(TimeSpan.FromMilliseconds(50), network.Now - start);
    });

    [Fact]
    public Task Jitter_delays_but_never_reorders_a_stream() => RunAsync(new() { DefaultLink = new LinkConditions { Latency = TimeSpan.FromMilliseconds(5), Jitter = TimeSpan.FromMilliseconds(20) } }, async (network, token) =>
    {
        (SimulatedHost a, SimulatedHost b, ISocketStream client, ISocketStream server) = await ConnectAsync(network, token);
        await using (client)
        await using (server)
        {
            byte[] data = StreamTestHelpers.RandomBytes(300_000, seed: 5);
            Task sending = SendInPiecesAsync(client, data, 1000, token);
            Assert.Equal(data, await server.ReceiveExactlyAsync(data.Length, token));
            await sending;
        }
    });

    [Fact]
    public Task A_partition_makes_a_connect_time_out_at_the_connect_timeout() => RunAsync(new() { ConnectTimeout = TimeSpan.FromSeconds(30) }, async (network, token) =>
    {
        SimulatedHost a = network.AddHost("a");
        SimulatedHost b = network.AddHost("b");
        await using ISocketListener listener = b.ListenTcp(new IPEndPoint(IPAddress.Any, 80));
        network.Partition(a, b);
        TimeSpan start = network.Now;
        var error = await Assert.ThrowsAsync<SocketException>(async () => await a.ConnectTcpAsync(new IPEndPoint(b.Address, 80), token));
        Assert.Equal(SocketError.TimedOut, error.SocketErrorCode);
        Assert.Equal(TimeSpan.FromSeconds(30), network.Now - start);
    });

    [Fact]
    public Task A_connect_during_a_partition_succeeds_once_it_heals() => RunAsync(new(), async (network, token) =>
    {
        SimulatedHost a = network.AddHost("a");
        SimulatedHost b = network.AddHost("b");
        await using ISocketListener listener = b.ListenTcp(new IPEndPoint(IPAddress.Any, 80));
        network.Partition(a, b);
        network.At(TimeSpan.FromSeconds(5), network.Heal);
        await using ISocketStream client = await a.ConnectTcpAsync(new IPEndPoint(b.Address, 80), token);
        Assert.Equal(TimeSpan.FromSeconds(5) + TimeSpan.FromMilliseconds(2), network.Now);
    });

    [Fact]
    public Task A_blocked_receive_stalls_during_a_partition_and_gets_the_data_after_the_heal() => RunAsync(new(), async (network, token) =>
    {
        (SimulatedHost a, SimulatedHost b, ISocketStream client, ISocketStream server) = await ConnectAsync(network, token);
        await using (client)
        await using (server)
        {
            TimeSpan partitionedAt = network.Now;
            network.Partition(a, b);
            network.At(partitionedAt + TimeSpan.FromSeconds(12), network.Heal);
            await server.SendAsync("late"u8.ToArray(), token);
            Assert.Equal("late"u8.ToArray(), await client.ReceiveExactlyAsync(4, token));
            Assert.Equal(partitionedAt + TimeSpan.FromSeconds(12) + TimeSpan.FromMilliseconds(1), network.Now);
        }
    });

    [Fact]
    public Task Data_unacknowledged_across_a_long_partition_breaks_the_connection_with_a_timeout() => RunAsync(new() { RetransmissionTimeout = TimeSpan.FromMinutes(2) }, async (network, token) =>
    {
        (SimulatedHost a, SimulatedHost b, ISocketStream client, ISocketStream server) = await ConnectAsync(network, token);
        await using (client)
        await using (server)
        {
            network.Partition(a, b);
            await client.SendAsync(new byte[100], token);
            var broken = await Assert.ThrowsAsync<BrokenResourceException>(async () => await client.ReceiveAsync(new byte[1], token));
            Assert.Equal(SocketError.TimedOut, Assert.IsType<SocketException>(broken.InnerException).SocketErrorCode);
            Assert.Equal(TimeSpan.FromMinutes(2), network.Now - TimeSpan.FromMilliseconds(2));
        }
    });

    [Fact]
    public Task A_crash_resets_peers_cancels_the_hosts_programs_and_a_restart_comes_back_empty() => RunAsync(new(), async (network, token) =>
    {
        (SimulatedHost a, SimulatedHost b, ISocketStream client, ISocketStream server) = await ConnectAsync(network, token);
        await using (client)
        await using (server)
        {
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Task program = b.RunAsync(async t =>
            {
                started.SetResult();
                await Task.Delay(Timeout.InfiniteTimeSpan, b.TimeProvider, t);
            }, token);
            await started.Task;
            ValueTask<int> blocked = client.ReceiveAsync(new byte[16], token);
            network.Crash(b);
            var reset = await Assert.ThrowsAsync<BrokenResourceException>(async () => await blocked);
            Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(reset.InnerException).SocketErrorCode);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => program);
            await Assert.ThrowsAsync<BrokenResourceException>(async () => await server.SendAsync(new byte[1], token));
            Assert.False(b.IsUp);

            // Down: nothing answers, so a connect times out.
            var timedOut = await Assert.ThrowsAsync<SocketException>(async () => await a.ConnectTcpAsync(new IPEndPoint(b.Address, 80), token));
            Assert.Equal(SocketError.TimedOut, timedOut.SocketErrorCode);

            // Back up without its listener: refused, until its program listens again.
            network.Restart(b);
            var refused = await Assert.ThrowsAsync<SocketException>(async () => await a.ConnectTcpAsync(new IPEndPoint(b.Address, 80), token));
            Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
            await using ISocketListener again = b.ListenTcp(new IPEndPoint(IPAddress.Any, 80));
            await using ISocketStream reconnected = await a.ConnectTcpAsync(new IPEndPoint(b.Address, 80), token);
        }
    });

    [Fact]
    public Task A_slow_link_applies_backpressure_to_the_sender() => RunAsync(new() { DefaultLink = new LinkConditions { BandwidthBytesPerSecond = 10_000 } }, async (network, token) =>
    {
        (_, _, ISocketStream client, ISocketStream server) = await ConnectAsync(network, token);
        await using (client)
        await using (server)
        {
            byte[] data = StreamTestHelpers.RandomBytes(200_000, seed: 9);
            TimeSpan start = network.Now;
            Task sending = client.SendAsync(data, token).AsTask();
            await Task.Delay(TimeSpan.FromSeconds(5), network.TimeProvider, token);
            // 50 KB crossed the link in 5 s; the 64 KiB send buffer holds only part of the rest.
            Assert.False(sending.IsCompleted, "a 200 KB send over a 10 KB/s link finished within 5 s");
            Assert.Equal(data, await server.ReceiveExactlyAsync(data.Length, token));
            await sending;
            Assert.True(network.Now - start >= TimeSpan.FromSeconds(20), $"200 KB crossed a 10 KB/s link in {network.Now - start}");
        }
    });

    [Fact]
    public Task A_reader_that_does_not_read_stops_the_writer_at_the_buffer_sizes() => RunAsync(new() { SendBufferSize = 8192, ReceiveBufferSize = 8192 }, async (network, token) =>
    {
        (_, _, ISocketStream client, ISocketStream server) = await ConnectAsync(network, token);
        await using (client)
        await using (server)
        {
            Task sending = client.SendAsync(new byte[100_000], token).AsTask();
            await Task.Delay(TimeSpan.FromMinutes(1), network.TimeProvider, token);
            Assert.False(sending.IsCompleted);
            Assert.Equal(100_000, (await server.ReceiveExactlyAsync(100_000, token)).Length);
            await sending;
        }
    });

    [Fact]
    public Task Datagrams_are_lost_and_duplicated_as_configured() => RunAsync(new(), async (network, token) =>
    {
        SimulatedHost a = network.AddHost("a");
        SimulatedHost b = network.AddHost("b");
        SimulatedHost c = network.AddHost("c");
        network.SetLink(a, b, new LinkConditions { LossRate = 1 });
        network.SetLink(a, c, new LinkConditions { DuplicateRate = 1 });
        await using IDatagramSocket sender = a.BindUdp(new IPEndPoint(IPAddress.Any, 0));
        await using IDatagramSocket atB = b.BindUdp(new IPEndPoint(IPAddress.Any, 53));
        await using IDatagramSocket atC = c.BindUdp(new IPEndPoint(IPAddress.Any, 53));
        await sender.SendToAsync("lost"u8.ToArray(), new IPEndPoint(b.Address, 53), token);
        await sender.SendToAsync("twice"u8.ToArray(), new IPEndPoint(c.Address, 53), token);
        byte[] buffer = new byte[64];
        Assert.True(await a.MoveOnAfterAsync(TimeSpan.FromSeconds(10), async t => await atB.ReceiveFromAsync(buffer, t), token));
        DatagramReceiveResult first = await atC.ReceiveFromAsync(buffer, token);
        DatagramReceiveResult second = await atC.ReceiveFromAsync(buffer, token);
        Assert.Equal(5, first.Length);
        Assert.Equal(5, second.Length);
        Assert.Equal(new IPEndPoint(a.Address, ((IPEndPoint)sender.LocalEndPoint).Port), first.RemoteEndPoint);
    });

    [Fact]
    public Task Reordering_lets_later_datagrams_overtake_earlier_ones() => RunAsync(new() { Seed = 3 }, async (network, token) =>
    {
        SimulatedHost a = network.AddHost("a");
        SimulatedHost b = network.AddHost("b");
        network.SetLink(a, b, new LinkConditions { ReorderRate = 0.5, ReorderDelay = TimeSpan.FromMilliseconds(50) });
        await using IDatagramSocket sender = a.BindUdp(new IPEndPoint(IPAddress.Any, 0));
        await using IDatagramSocket receiver = b.BindUdp(new IPEndPoint(IPAddress.Any, 9));
        for (byte i = 0; i < 50; i++)
        {
            await sender.SendToAsync(new[] { i }, new IPEndPoint(b.Address, 9), token);
        }

        var order = new List<byte>();
        byte[] buffer = new byte[4];
        for (int i = 0; i < 50; i++)
        {
            await receiver.ReceiveFromAsync(buffer, token);
            order.Add(buffer[0]);
        }

        Assert.Equal(Enumerable.Range(0, 50).Select(i => (byte)i), order.Order());
        Assert.NotEqual(Enumerable.Range(0, 50).Select(i => (byte)i), order);
    });

    [Fact]
    public Task Names_come_from_the_network_table_and_unix_paths_belong_to_their_host() => RunAsync(new(), async (network, token) =>
    {
        SimulatedHost db = network.AddHost("db");
        SimulatedHost app = network.AddHost("app");
        network.AddName("primary.db.internal", db.Address);
        Assert.Equal([db.Address], await app.ResolveAsync("primary.db.internal", AddressFamily.InterNetwork, token));
        Assert.Contains(db.Address6, await app.ResolveAsync("db", cancellationToken: token));
        await Assert.ThrowsAsync<NameResolutionException>(async () => await app.ResolveAsync("example.com", cancellationToken: token));

        await using ISocketListener onDb = db.ListenUnix("/run/db.sock");
        await Assert.ThrowsAsync<SocketException>(async () => await app.ConnectUnixAsync("/run/db.sock", token));
        await using ISocketStream local = await db.ConnectUnixAsync("/run/db.sock", token);
        Assert.False(File.Exists("/run/db.sock"));

        // 127.0.0.1 is each host's own.
        await using ISocketListener loopback = db.ListenTcp(new IPEndPoint(IPAddress.Loopback, 5432));
        var refused = await Assert.ThrowsAsync<SocketException>(async () => await app.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, 5432), token));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        await Assert.ThrowsAsync<SocketException>(async () => await app.ConnectTcpAsync(new IPEndPoint(db.Address, 5432), token));
    });

    [Fact]
    public async Task The_same_seed_gives_an_identical_trace_and_another_seed_another_interleaving()
    {
        string first = await TraceOfAsync(seed: 42);
        string second = await TraceOfAsync(seed: 42);
        string other = await TraceOfAsync(seed: 43);
        Assert.True(first.Split('\n').Length > 100, "the scenario should record a substantial trace");
        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public async Task Code_that_escapes_the_simulation_is_reported()
    {
        await using var network = new SimulatedNetwork();
        SimulatedHost a = network.AddHost("a");
        await network.RunAsync(async token =>
        {
            await using ISocketListener listener = a.ListenTcp(new IPEndPoint(IPAddress.Loopback, 0));
            await Task.Delay(TimeSpan.FromSeconds(1), a.TimeProvider, token);
        }).WaitAsync(s_wallClockLimit);
        Assert.Empty(network.DeterminismViolations);

        await network.RunAsync(async token =>
        {
            await Task.Run(() => { }, token);              // the continuation comes back from the thread pool
            await Task.Delay(1, token).ConfigureAwait(false);
            IDatagramSocket escaped = a.BindUdp(new IPEndPoint(IPAddress.Loopback, 0));   // now on a pool thread
            await escaped.DisposeAsync().ConfigureAwait(false);
        }).WaitAsync(s_wallClockLimit);
        Assert.Contains(network.DeterminismViolations, v => v.Contains("posted to the simulation from thread", StringComparison.Ordinal));
        Assert.Contains(network.DeterminismViolations, v => v.Contains("BindUdp was called outside", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Exploring_seeds_finds_an_interleaving_bug_and_its_seed_replays_it()
    {
        // Two clients race to a server; the "bug" assumes the first one started always arrives first.
        static async Task RacyScenario(SimulatedNetwork network, CancellationToken token)
        {
            SimulatedHost server = network.AddHost("server");
            SimulatedHost one = network.AddHost("one");
            SimulatedHost two = network.AddHost("two");
            network.SetLink(one, server, new LinkConditions { Jitter = TimeSpan.FromMilliseconds(3) });
            network.SetLink(two, server, new LinkConditions { Jitter = TimeSpan.FromMilliseconds(3) });
            await using ISocketListener listener = server.ListenTcp(new IPEndPoint(IPAddress.Any, 7));
            var arrivals = new List<string>();
            await TaskGroup.RunAsync(group =>
            {
                group.Start(async t =>
                {
                    for (int i = 0; i < 2; i++)
                    {
                        await using ISocketStream s = await listener.AcceptAsync(t);
                        arrivals.Add(System.Text.Encoding.ASCII.GetString(await s.ReceiveExactlyAsync(3, t)));
                    }
                });
                foreach ((SimulatedHost host, string name) in new[] { (one, "one"), (two, "two") })
                {
                    group.Start(async t =>
                    {
                        await using ISocketStream c = await host.ConnectTcpAsync(new IPEndPoint(server.Address, 7), t);
                        await c.SendAsync(System.Text.Encoding.ASCII.GetBytes(name), t);
                    });
                }

                return Task.CompletedTask;
            }, token);
            if (arrivals[0] != "one")
            {
                throw new InvalidOperationException($"'{arrivals[0]}' arrived first");
            }
        }

        SeedRunResult result = await SimulationRunner.ExploreAsync(RacyScenario, firstSeed: 1, count: 200);
        Assert.False(result.Passed, "200 seeds never let the second client win the race");
        Assert.NotNull(result.Trace);
        Assert.Empty(result.DeterminismViolations);

        SeedRunResult replay = await SimulationRunner.ExploreAsync(RacyScenario, result.FailingSeed!.Value, count: 1);
        Assert.Equal(result.FailingSeed, replay.FailingSeed);
        Assert.Equal(result.Failure!.Message, replay.Failure!.Message);
        Assert.Equal(result.Trace, replay.Trace);
    }

    [Fact]
    public Task Thirty_simulated_minutes_take_no_real_time() => RunAsync(new(), async (network, token) =>
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        (_, _, ISocketStream client, ISocketStream server) = await ConnectAsync(network, token);
        await using (client)
        await using (server)
        {
            for (int minute = 0; minute < 30; minute++)
            {
                await Task.Delay(TimeSpan.FromMinutes(1), network.TimeProvider, token);
                await client.SendAsync(new byte[] { (byte)minute }, token);
                Assert.Equal((byte)minute, (await server.ReceiveExactlyAsync(1, token))[0]);
            }
        }

        Assert.True(network.Now >= TimeSpan.FromMinutes(30));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"30 simulated minutes took {watch.Elapsed} of real time");
    });

    private static async Task<string> TraceOfAsync(int seed)
    {
        await using var network = new SimulatedNetwork(new SimulatedNetworkOptions
        {
            Seed = seed,
            DefaultLink = new LinkConditions { Jitter = TimeSpan.FromMilliseconds(2), LossRate = 0.2, DuplicateRate = 0.1, ReorderRate = 0.2 },
        });
        await network.RunAsync(async token =>
        {
            SimulatedHost server = network.AddHost("server");
            await using ISocketListener listener = server.ListenTcp(new IPEndPoint(IPAddress.Any, 80));
            await using IDatagramSocket udp = server.BindUdp(new IPEndPoint(IPAddress.Any, 53));
            SimulatedHost[] clients = [.. Enumerable.Range(0, 4).Select(i => network.AddHost($"client{i}"))];
            await TaskGroup.RunAsync(async group =>
            {
                group.Start(async t =>
                {
                    byte[] buffer = new byte[16];
                    while (true)
                    {
                        DatagramReceiveResult r = await udp.ReceiveFromAsync(buffer, t);
                        network.Log("server", $"datagram {buffer[0]} from {r.RemoteEndPoint}");
                    }
                });
                group.Start(t => listener.ServeAsync(async (s, st) =>
                {
                    byte[] b = await s.ReceiveExactlyAsync(4, st);
                    network.Log("server", $"request {b[0]}");
                    await s.SendAsync(b, st);
                }, t));
                await TaskGroup.RunAsync(clientsGroup =>
                {
                    foreach (SimulatedHost client in clients)
                    {
                        clientsGroup.Start(async t =>
                        {
                            await using IDatagramSocket socket = client.BindUdp(new IPEndPoint(IPAddress.Any, 0));
                            for (byte i = 0; i < 10; i++)
                            {
                                await socket.SendToAsync(new[] { i }, new IPEndPoint(server.Address, 53), t);
                                await Task.Yield();
                            }

                            for (byte i = 0; i < 3; i++)
                            {
                                await using ISocketStream c = await client.ConnectTcpAsync(new IPEndPoint(server.Address, 80), t);
                                await c.SendAsync(new byte[] { i, 0, 0, 0 }, t);
                                await c.ReceiveExactlyAsync(4, t);
                            }
                        });
                    }

                    return Task.CompletedTask;
                }, token);
                await Task.Delay(TimeSpan.FromSeconds(1), network.TimeProvider, token);
                group.Cancel();
            }, token);
        }).WaitAsync(s_wallClockLimit);
        Assert.Empty(network.DeterminismViolations);
        return network.TraceText();
    }

    private static async Task<(SimulatedHost A, SimulatedHost B, ISocketStream Client, ISocketStream Server)> ConnectAsync(SimulatedNetwork network, CancellationToken token)
    {
        SimulatedHost a = network.AddHost("a");
        SimulatedHost b = network.AddHost("b");
        ISocketListener listener = b.ListenTcp(new IPEndPoint(IPAddress.Any, 80));
        ValueTask<ISocketStream> accept = listener.AcceptAsync(token);
        ISocketStream client = await a.ConnectTcpAsync(new IPEndPoint(b.Address, 80), token);
        ISocketStream server = await accept;
        await listener.DisposeAsync();
        return (a, b, client, server);
    }

    private static async Task SendInPiecesAsync(ISocketStream stream, byte[] data, int piece, CancellationToken token)
    {
        for (int offset = 0; offset < data.Length; offset += piece)
        {
            await stream.SendAsync(data.AsMemory(offset, Math.Min(piece, data.Length - offset)), token);
        }
    }

    private static async Task RunAsync(SimulatedNetworkOptions options, Func<SimulatedNetwork, CancellationToken, Task> scenario)
    {
        await using var network = new SimulatedNetwork(options);
        try
        {
            await network.RunAsync(token => scenario(network, token)).WaitAsync(s_wallClockLimit);
        }
        catch (Exception error)
        {
            throw new Xunit.Sdk.XunitException($"{error.GetType().Name}: {error.Message}\nTrace:\n{network.TraceText()}");
        }

        Assert.Empty(network.DeterminismViolations);
    }
}
