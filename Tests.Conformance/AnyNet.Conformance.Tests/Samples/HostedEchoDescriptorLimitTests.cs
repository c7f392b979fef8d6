using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace AnyNet.Conformance.Tests.Samples;

/// <summary>
/// A hosted server under a low <c>ulimit -n</c> (set before it starts, or lowered while it runs), driven past it with
/// more connections than it has descriptors, and back:
/// it must survive, stay idle while held at the limit (no accept loop spinning), serve again afterwards and give back
/// every descriptor. Run on every backend.
/// </summary>
public sealed class HostedEchoDescriptorLimitTests
{
    private const int FileLimit = 256;
    private const int Connections = 400;
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("tasks")]
    [InlineData("reactor")]
    [InlineData("libuv")]
    public async Task A_server_driven_past_its_descriptor_limit_survives_idles_and_recovers(string backend)
    {
        await using HostedEchoProcess child = HostedEchoProcess.Start(backend, ["--HostedEcho:Endpoints:0=tcp:127.0.0.1:0"], FileLimit);
        int port = await child.WaitListeningAsync(s_timeout);
        await DrivePastTheLimitAndBackAsync(child, new IPEndPoint(IPAddress.Loopback, port));
    }

    /// <summary>
    /// The limit is lowered (prlimit(2), as <c>prlimit --pid</c> does) after the server started with plenty of
    /// descriptors: everything the runtime sized at start-up was sized for the old limit. The tasks backend used to abort
    /// here ("Out of memory.", exit 134).
    /// </summary>
    [Theory]
    [InlineData("tasks")]
    [InlineData("reactor")]
    [InlineData("libuv")]
    public async Task A_server_whose_descriptor_limit_is_lowered_while_it_runs_survives_idles_and_recovers(string backend)
    {
        await using HostedEchoProcess child = HostedEchoProcess.Start(backend, ["--HostedEcho:Endpoints:0=tcp:127.0.0.1:0"]);
        int port = await child.WaitListeningAsync(s_timeout);
        var endPoint = new IPEndPoint(IPAddress.Loopback, port);
        Assert.True(await EchoAsync(endPoint), "the server did not echo before the limit was lowered");
        child.SetDescriptorLimit(FileLimit);
        await DrivePastTheLimitAndBackAsync(child, endPoint);
    }

    private static async Task DrivePastTheLimitAndBackAsync(HostedEchoProcess child, IPEndPoint endPoint)
    {
        // A first echo warms the runtime up (socket engine, thread pool), so the count below is the steady state.
        Assert.True(await EchoAsync(endPoint), "the server did not echo before the test");
        int descriptorsBefore = await SettledDescriptorsAsync(child);
        Dictionary<int, string> targetsBefore = child.DescriptorTargets();

        var clients = new List<Socket>();
        try
        {
            for (int i = 0; i < Connections; i++)
            {
                var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                clients.Add(client);
                await client.ConnectAsync(endPoint).WaitAsync(s_timeout);
                await client.SendAsync("x"u8.ToArray());
            }

            // Wait until the server has echoed on every connection it took: a count that stops growing. It cannot reach
            // 400: 400 descriptors are more than the process may open.
            int served = await CountEchoesAsync(clients);
            Assert.False(child.HasExited, $"the server died at the limit: {string.Join('\n', child.StandardError)}");
            Assert.InRange(served, 1, Connections - 1);

            // Held at the limit, with connections waiting in the backlog, the server must not spin.
            TimeSpan cpuBefore = child.CpuTime();
            var window = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(2));
            double cpuShare = (child.CpuTime() - cpuBefore) / window.Elapsed;
            Assert.True(cpuShare < 0.5, $"the server used {cpuShare:P0} of a core while held at the descriptor limit");
            Assert.False(child.HasExited);
        }
        finally
        {
            foreach (Socket client in clients)
            {
                client.Dispose();
            }
        }

        // Back below the limit: it serves again, and every descriptor it took is given back.
        bool echoed = false;
        var deadline = Stopwatch.StartNew();
        while (!echoed && deadline.Elapsed < s_timeout)
        {
            echoed = await EchoAsync(endPoint);
        }

        Assert.True(echoed, "the server did not serve again after the connections closed");
        int descriptorsAfter = await SettledDescriptorsAsync(child, descriptorsBefore);
        Assert.True(descriptorsAfter <= descriptorsBefore,
            $"the server holds {descriptorsAfter} descriptors of its own, {descriptorsBefore} before the test; "
            + child.DescribeNewDescriptors(targetsBefore, child.DescriptorTargets()));
        Assert.False(child.HasExited);
        Assert.DoesNotContain(child.StandardOutput, l => l.Contains("   at ", StringComparison.Ordinal));
        Assert.Empty(child.StandardError);
    }

    private static async Task<bool> EchoAsync(IPEndPoint endPoint)
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await client.ConnectAsync(endPoint, timeout.Token);
            await client.SendAsync("ping"u8.ToArray(), timeout.Token);
            byte[] reply = new byte[4];
            int received = 0;
            while (received < 4)
            {
                int n = await client.ReceiveAsync(reply.AsMemory(received), timeout.Token);
                if (n == 0)
                {
                    return false;
                }

                received += n;
            }

            return reply.AsSpan().SequenceEqual("ping"u8);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    // Each connection that the server serves echoes its "x"; the count is final once a full second brings no new echo.
    private static async Task<int> CountEchoesAsync(List<Socket> clients)
    {
        var pending = new List<Socket>(clients);
        int served = 0;
        var quiet = Stopwatch.StartNew();
        var total = Stopwatch.StartNew();
        byte[] one = new byte[1];
        while (quiet.Elapsed < TimeSpan.FromSeconds(1) && total.Elapsed < s_timeout && pending.Count > 0)
        {
            var readable = new List<Socket>(pending);
            Socket.Select(readable, null, null, 100_000);
            foreach (Socket socket in readable)
            {
                if (socket.Receive(one) == 1)
                {
                    served++;
                    quiet.Restart();
                }

                pending.Remove(socket);
            }

            await Task.Yield();
        }

        return served;
    }

    // The count of the server's own descriptors once it stops changing (the runtime closes some lazily), bounded in
    // time. Files the runtime opens once and keeps (assemblies and PDBs, see HostedEchoProcess.IsRuntimeOwned) are not
    // counted: which of them are open depends on what happened to run first, not on the connections.
    private static async Task<int> SettledDescriptorsAsync(HostedEchoProcess child, int? target = null)
    {
        int last = child.OwnDescriptors();
        var deadline = Stopwatch.StartNew();
        int stable = 0;
        while (deadline.Elapsed < TimeSpan.FromSeconds(20) && stable < 5 && !(target is int t && last <= t))
        {
            await Task.Delay(100);
            int now = child.OwnDescriptors();
            stable = now == last ? stable + 1 : 0;
            last = now;
        }

        return last;
    }
}
