using System.Net;
using System.Text;

namespace AnyNet.Samples.SimulatedCluster;

/// <summary>
/// A tiny replicated key-value store written against the plain <see cref="IAsyncBackend"/> API: nothing in it knows
/// it runs under simulation. The leader takes <c>PUT key value</c> lines from clients, makes each write durable on its
/// disk, copies it to its followers, and answers <c>OK</c>. Followers write what the leader sends to their disk.
/// </summary>
public static class KeyValueNode
{
    public const int ClientPort = 7000;
    public const int ReplicationPort = 7001;

    /// <summary>
    /// The leader's program. The correct leader writes to disk before it answers OK. The buggy one answers first and
    /// writes (and replicates) a little later, a write-behind cache: a crash in between loses a write it acknowledged.
    /// </summary>
    public static async Task RunLeaderAsync(IAsyncBackend backend, Disk disk, IReadOnlyList<IPAddress> followers, bool buggy, CancellationToken cancellationToken)
    {
        await using ISocketListener listener = backend.ListenTcp(new IPEndPoint(IPAddress.Any, ClientPort));
        await TaskGroup.RunAsync(group =>
        {
            group.Start(t => listener.ServeAsync(async (client, ct) =>
            {
                var reader = new LineReader(client);
                while (await reader.ReadLineAsync(ct) is { } line)
                {
                    string[] parts = line.Split(' ');
                    if (parts is not ["PUT", var key, var value])
                    {
                        await client.SendAsync("ERR bad request\n"u8.ToArray(), ct);
                        continue;
                    }

                    if (buggy)
                    {
                        await client.SendAsync("OK\n"u8.ToArray(), ct);
                        group.Start(async bt =>
                        {
                            await backend.SleepAsync(TimeSpan.FromMilliseconds(50), bt);   // flush "later"
                            disk.Write(key, value);
                            await ReplicateAsync(backend, followers, key, value, bt);
                        });
                    }
                    else
                    {
                        disk.Write(key, value);
                        await ReplicateAsync(backend, followers, key, value, ct);
                        await client.SendAsync("OK\n"u8.ToArray(), ct);
                    }
                }
            }, t));
            return Task.CompletedTask;
        }, cancellationToken);
    }

    /// <summary>A follower's program: applies every <c>REP key value</c> line to its disk and answers <c>ACK</c>.</summary>
    public static async Task RunFollowerAsync(IAsyncBackend backend, Disk disk, CancellationToken cancellationToken)
    {
        await using ISocketListener listener = backend.ListenTcp(new IPEndPoint(IPAddress.Any, ReplicationPort));
        await listener.ServeAsync(async (leader, ct) =>
        {
            var reader = new LineReader(leader);
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                if (line.Split(' ') is ["REP", var key, var value])
                {
                    disk.Write(key, value);
                    await leader.SendAsync("ACK\n"u8.ToArray(), ct);
                }
            }
        }, cancellationToken);
    }

    /// <summary>Copies one write to every follower it can reach within half a second (best effort).</summary>
    private static async Task ReplicateAsync(IAsyncBackend backend, IReadOnlyList<IPAddress> followers, string key, string value, CancellationToken cancellationToken)
    {
        byte[] message = Encoding.ASCII.GetBytes($"REP {key} {value}\n");
        foreach (IPAddress follower in followers)
        {
            try
            {
                await backend.FailAfterAsync(TimeSpan.FromMilliseconds(500), async t =>
                {
                    await using ISocketStream stream = await backend.ConnectTcpAsync(new IPEndPoint(follower, ReplicationPort), t);
                    await stream.SendAsync(message, t);
                    _ = await new LineReader(stream).ReadLineAsync(t);
                }, cancellationToken);
            }
            catch (Exception error) when (error is TimeoutException or IOException or System.Net.Sockets.SocketException)
            {
                // The follower is down or cut off: it misses this write (the leader's own disk still has it).
            }
        }
    }
}
