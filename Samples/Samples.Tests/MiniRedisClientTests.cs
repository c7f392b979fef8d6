using AnyNet.Samples.Tests.Infrastructure;

namespace AnyNet.Samples.Tests;

/// <summary>MiniRedis driven by the real redis-cli and redis-benchmark, and by exact bytes, on every backend.</summary>
public sealed class MiniRedisClientTests
{
    [SkippableTheory]
    [MemberData(nameof(TestBackends.All), MemberType = typeof(TestBackends))]
    public async Task RedisCli_runs_every_command(string backend)
    {
        string cli = ExternalTool.Require("redis-cli");
        await using SampleProcess server = await SampleProcess.StartAsync("MiniRedis", backend);

        // redis-cli reads commands from stdin, one per line, and prints one reply per command.
        const string Script = """
            PING
            ECHO "hello world"
            SET counter 10
            INCR counter
            INCRBY counter 5
            DECR counter
            GET counter
            SET name anynet NX
            SET name other NX
            SET name other XX
            GET name
            SET ghost boo XX
            EXISTS counter name ghost
            MSET a 1 b 2
            MGET a b nope
            EXPIRE a 100
            TTL a
            TTL b
            TTL nope
            DEL a b nope
            DBSIZE
            INCR name
            FOOBAR x
            SET k v EX notanumber
            FLUSHALL
            DBSIZE
            """;
        ExternalTool.ToolResult result = await ExternalTool.RunAsync(cli, ["-h", "127.0.0.1", "-p", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)], Script + "\n");
        Assert.True(result.ExitCode == 0, result.ToString());
        string[] expected =
        [
            "PONG", "hello world", "OK", "11", "16", "15", "15",
            "OK", "", "OK", "other", "",
            "2", "OK", "1", "2", "", "1", "100", "-1", "-2", "2", "2",
            // redis-cli prints an empty line after each error reply when its output is not a terminal.
            "ERR value is not an integer or out of range", "",
            "ERR unknown command 'FOOBAR', with args beginning with: 'x'", "",
            "ERR value is not an integer or out of range", "",
            "OK", "0",
        ];
        Assert.Equal(expected, result.Stdout.TrimEnd('\n').Split('\n'));
    }

    [SkippableTheory]
    [MemberData(nameof(TestBackends.All), MemberType = typeof(TestBackends))]
    public async Task RedisBenchmark_completes_with_and_without_pipelining(string backend)
    {
        string benchmark = ExternalTool.Require("redis-benchmark");
        await using SampleProcess server = await SampleProcess.StartAsync("MiniRedis", backend);
        foreach (string[] extra in new[] { Array.Empty<string>(), ["-P", "16"] })
        {
            ExternalTool.ToolResult result = await ExternalTool.RunAsync(benchmark,
                ["-h", "127.0.0.1", "-p", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-q", "-n", "20000", "-t", "ping,set,get,incr,mset", .. extra],
                timeout: TimeSpan.FromSeconds(60));
            Assert.True(result.ExitCode == 0, result.ToString());

            // One summary line per test; -q prints "NAME: N requests per second" when every reply was valid.
            string[] summaries = [.. result.Stdout.Split('\n', '\r').Where(l => l.Contains("requests per second", StringComparison.Ordinal) && !l.Contains("rps=", StringComparison.Ordinal))];
            foreach (string name in new[] { "PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "MSET" })
            {
                Assert.Contains(summaries, l => l.TrimStart().StartsWith(name, StringComparison.Ordinal));
            }

            Assert.DoesNotContain("ERR", result.Stdout + result.Stderr, StringComparison.Ordinal);
        }

        Assert.False(server.HasExited);
    }

    [SkippableTheory]
    [MemberData(nameof(TestBackends.All), MemberType = typeof(TestBackends))]
    public async Task Inline_and_multibulk_pipelined_are_answered_in_order(string backend)
    {
        await using SampleProcess server = await SampleProcess.StartAsync("MiniRedis", backend);
        await using RawClient client = await RawClient.ConnectAsync(server.Port);
        await client.SendAsync("PING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\nGET k\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nNOPE 1 2\r\nEXISTS k\r\n");
        string replies = await client.ReadUntilAsync(":1\r\n");
        Assert.Equal("+PONG\r\n+OK\r\n$5\r\nvalue\r\n$2\r\nhi\r\n-ERR unknown command 'NOPE', with args beginning with: '1' '2'\r\n:1\r\n", replies);

        // A command split across sends is assembled; the unknown command above did not end the connection.
        await client.SendAsync("*2\r\n$4\r\nEC");
        await client.SendAsync("HO\r\n$3\r\nabc\r\n");
        Assert.Equal("$3\r\nabc\r\n", await client.ReadUntilAsync("abc\r\n"));
    }

    [SkippableTheory]
    [MemberData(nameof(TestBackends.All), MemberType = typeof(TestBackends))]
    public async Task Oversized_bulk_gets_an_error_and_the_connection_closes(string backend)
    {
        await using SampleProcess server = await SampleProcess.StartAsync("MiniRedis", backend, "--max-bulk", "1024");
        await using RawClient client = await RawClient.ConnectAsync(server.Port);
        await client.SendAsync("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000\r\n");
        Assert.Equal("-ERR Protocol error: invalid bulk length\r\n", await client.ReadToEndAsync());

        await using RawClient other = await RawClient.ConnectAsync(server.Port);
        await other.SendAsync("PING\r\n*1\r\n#4\r\nPING\r\nPING\r\n");
        Assert.Equal("+PONG\r\n-ERR Protocol error: expected '$', got '#'\r\n", await other.ReadToEndAsync());

        // The server keeps serving everyone else.
        await using RawClient third = await RawClient.ConnectAsync(server.Port);
        await third.SendAsync("PING\r\n");
        Assert.Equal("+PONG\r\n", await third.ReadUntilAsync("\r\n"));
    }
}
