using System.Net;
using System.Text;
using AnyNet.Backends.Simulated;

namespace AnyNet.Samples.SimulatedCluster;

/// <summary>
/// One simulated run: a leader, two followers and a client on a 5 ms network; random crashes, restarts and partitions
/// chosen by the seed; then the invariant: no write the leader acknowledged is lost.
/// </summary>
public static class ClusterScenario
{
    private static readonly TimeSpan s_runFor = TimeSpan.FromSeconds(10);

    /// <summary>Runs the scenario on <paramref name="network"/>; throws <see cref="InvariantViolationException"/> if an acknowledged write was lost.</summary>
    public static async Task RunAsync(SimulatedNetwork network, bool buggy, CancellationToken cancellationToken)
    {
        var random = new Random(network.Seed);   // the scenario's own choices are seeded too
        SimulatedHost leader = network.AddHost("db1");
        SimulatedHost[] followers = [network.AddHost("db2"), network.AddHost("db3")];
        SimulatedHost client = network.AddHost("client");
        var disks = new Dictionary<SimulatedHost, Disk> { [leader] = new(), [followers[0]] = new(), [followers[1]] = new() };
        IPAddress[] followerAddresses = [.. followers.Select(f => f.Address)];

        void Start(SimulatedHost host) => _ = host == leader
            ? host.RunAsync(t => KeyValueNode.RunLeaderAsync(host, disks[host], followerAddresses, buggy, t), cancellationToken)
            : host.RunAsync(t => KeyValueNode.RunFollowerAsync(host, disks[host], t), cancellationToken);

        foreach (SimulatedHost node in disks.Keys)
        {
            Start(node);
        }

        // Chaos: three random faults in the first 8 s, each repaired 0.5 to 2 s later.
        SimulatedHost[] nodes = [leader, .. followers];
        for (int i = 0; i < 3; i++)
        {
            TimeSpan at = TimeSpan.FromMilliseconds(random.Next(100, 8000));
            TimeSpan repairAfter = TimeSpan.FromMilliseconds(random.Next(500, 2000));
            SimulatedHost victim = nodes[random.Next(nodes.Length)];
            if (random.Next(2) == 0)
            {
                network.At(at, () => network.Crash(victim));
                network.At(at + repairAfter, () =>
                {
                    network.Restart(victim);
                    Start(victim);
                });
            }
            else
            {
                SimulatedHost other = random.Next(2) == 0 ? client : nodes[random.Next(nodes.Length)];
                if (other != victim)
                {
                    network.At(at, () => network.Partition(victim, other));
                    network.At(at + repairAfter, () => network.Heal(victim, other));
                }
            }
        }

        List<(string Key, string Value)> acknowledged = await RunClientAsync(network, client, leader, cancellationToken);

        // Let the dust settle: heal everything, bring everyone back, give the cluster a second.
        network.Heal();
        foreach (SimulatedHost node in nodes.Where(n => !n.IsUp))
        {
            network.Restart(node);
            Start(node);
        }

        await Task.Delay(TimeSpan.FromSeconds(1), network.TimeProvider, cancellationToken);
        foreach ((string key, string value) in acknowledged)
        {
            if (!disks.Values.Any(d => d.Contains(key, value)))
            {
                throw new InvariantViolationException($"the acknowledged write {key}={value} is on no node's disk (seed {network.Seed})");
            }
        }

        network.Log("client", $"{acknowledged.Count} acknowledged writes, all durable");
    }

    private static async Task<List<(string Key, string Value)>> RunClientAsync(SimulatedNetwork network, SimulatedHost client, SimulatedHost leader, CancellationToken cancellationToken)
    {
        var acknowledged = new List<(string, string)>();
        int next = 0;
        while (network.Now < s_runFor)
        {
            try
            {
                await client.FailAfterAsync(TimeSpan.FromSeconds(1), async t =>
                {
                    await using ISocketStream connection = await client.ConnectTcpAsync(new IPEndPoint(leader.Address, KeyValueNode.ClientPort), t);
                    var reader = new LineReader(connection);
                    while (network.Now < s_runFor)
                    {
                        string key = $"k{next}";
                        string value = $"v{next++}";
                        await connection.SendAsync(Encoding.ASCII.GetBytes($"PUT {key} {value}\n"), t);
                        if (await reader.ReadLineAsync(t) != "OK")
                        {
                            return;
                        }

                        acknowledged.Add((key, value));
                    }
                }, cancellationToken);
            }
            catch (Exception error) when (error is TimeoutException or IOException or System.Net.Sockets.SocketException)
            {
                // The leader is down or cut off: this write is not acknowledged; try again shortly.
                await Task.Delay(TimeSpan.FromMilliseconds(200), network.TimeProvider, cancellationToken);
            }
        }

        return acknowledged;
    }
}
