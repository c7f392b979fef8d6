using System.Net.Sockets;
using System.Text.RegularExpressions;
using AnyNet.Samples.Tests.Infrastructure;

namespace AnyNet.Samples.Tests;

/// <summary>The Chat room with plain .NET socket clients, on every backend.</summary>
public sealed class ChatClientTests
{
    private const string WelcomeEnd = "/quit leaves\n";

    [Theory]
    [MemberData(nameof(TestBackends.All), MemberType = typeof(TestBackends))]
    public async Task Lines_go_to_everyone_else_and_joins_leaves_and_renames_are_announced(string backend)
    {
        await using SampleProcess server = await SampleProcess.StartAsync("Chat", backend);
        await using RawClient a = await RawClient.ConnectAsync(server.Port);
        Assert.Contains("welcome guest-1; 1 online", await a.ReadUntilAsync(WelcomeEnd), StringComparison.Ordinal);
        await using RawClient b = await RawClient.ConnectAsync(server.Port);
        Assert.Contains("welcome guest-2; 2 online", await b.ReadUntilAsync(WelcomeEnd), StringComparison.Ordinal);
        Assert.Equal("* guest-2 joined\n", await a.ReadUntilAsync("\n"));
        await using RawClient c = await RawClient.ConnectAsync(server.Port);
        await c.ReadUntilAsync(WelcomeEnd);
        Assert.Equal("* guest-3 joined\n", await a.ReadUntilAsync("\n"));
        Assert.Equal("* guest-3 joined\n", await b.ReadUntilAsync("\n"));

        await b.SendAsync("hello room\r\n");
        Assert.Equal("guest-2: hello room\n", await a.ReadUntilAsync("\n"));
        Assert.Equal("guest-2: hello room\n", await c.ReadUntilAsync("\n"));

        await a.SendAsync("/nick alice\n");
        Assert.Equal("* guest-1 is now alice\n", await b.ReadUntilAsync("\n"));
        Assert.Equal("* guest-1 is now alice\n", await c.ReadUntilAsync("\n"));
        Assert.Equal("* guest-1 is now alice\n", await a.ReadUntilAsync("\n"));
        await a.SendAsync("hi all\n");

        // b's next line is alice's: it never got its own "hello room" back.
        Assert.Equal("alice: hi all\n", await b.ReadUntilAsync("\n"));
        Assert.Equal("alice: hi all\n", await c.ReadUntilAsync("\n"));

        await b.SendAsync("/quit\n");
        Assert.Equal("", await b.ReadToEndAsync());
        Assert.Equal("* guest-2 left\n", await a.ReadUntilAsync("\n"));
        Assert.Equal("* guest-2 left\n", await c.ReadUntilAsync("\n"));
    }

    [Theory]
    [MemberData(nameof(TestBackends.All), MemberType = typeof(TestBackends))]
    public async Task A_client_that_stops_reading_is_disconnected_and_nobody_waits_for_it(string backend)
    {
        await using SampleProcess server = await SampleProcess.StartAsync("Chat", backend, "--queue", "8", "--max-line", "65536");

        // The slow client reads its welcome, then never again; a small receive buffer makes its window fill soon.
        await using RawClient slow = await RawClient.ConnectAsync(server.Port, receiveBufferSize: 4096);
        await slow.ReadUntilAsync(WelcomeEnd);
        await using RawClient talker = await RawClient.ConnectAsync(server.Port);
        await talker.ReadUntilAsync(WelcomeEnd);
        await using RawClient listener = await RawClient.ConnectAsync(server.Port);
        await listener.ReadUntilAsync(WelcomeEnd);
        await talker.ReadUntilAsync("guest-3 joined\n");

        // Lockstep: the talker sends a line and the listener reads it before the next one, so the listener's queue never
        // holds more than one line, while the slow client's queue fills once its socket buffers are full.
        string payload = new('x', 16 * 1024);
        const int MaxLines = 4096; // 64 MiB at most: far more than any loopback socket buffers hold.
        bool evicted = false;
        int sent = 0;
        while (!evicted)
        {
            Assert.True(sent < MaxLines, $"the slow client was not disconnected after {sent} lines of 16 KiB");
            await talker.SendAsync($"{sent} {payload}\n");
            while (true)
            {
                string line = await listener.ReadUntilAsync("\n");
                if (line.StartsWith("* guest-1 was disconnected: too slow", StringComparison.Ordinal))
                {
                    evicted = true;
                    continue;
                }

                Assert.StartsWith($"guest-2: {sent} ", line, StringComparison.Ordinal);
                break;
            }

            sent++;
        }

        // Everyone else carries on as before.
        await talker.SendAsync("still here\n");
        Assert.Equal("guest-2: still here\n", await listener.ReadUntilAsync("\n"));
        await server.WaitForLineAsync(new Regex("disconnecting guest-1: its queue is full"), TimeSpan.FromSeconds(5));

        // The slow client's connection was closed by the server: reading now drains what was in flight, then ends.
        await DrainToEndAsync(slow.Socket);
    }

    private static async Task DrainToEndAsync(Socket socket)
    {
        byte[] buffer = new byte[256 * 1024];
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, limit.Token) > 0)
            {
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Closed with data still unsent: a reset, which is also the end.
        }
    }
}
