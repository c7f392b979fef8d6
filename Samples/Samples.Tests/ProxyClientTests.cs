using System.Globalization;
using AnyNet.Samples.Tests.Infrastructure;

namespace AnyNet.Samples.Tests;

/// <summary>The Proxy between real clients and the other samples, on every backend.</summary>
public sealed class ProxyClientTests
{
    [SkippableTheory]
    [MemberData(nameof(TestBackends.All), MemberType = typeof(TestBackends))]
    public async Task Curl_through_the_proxy_reaches_HttpHello(string backend)
    {
        string curl = ExternalTool.Require("curl");
        await using SampleProcess http = await SampleProcess.StartAsync("HttpHello", backend);
        await using SampleProcess proxy = await StartProxyAsync(backend, http.Port);
        string url = $"http://127.0.0.1:{proxy.Port}/plaintext";
        ExternalTool.ToolResult result = await ExternalTool.RunAsync(curl, ["-s", "-i", url, url]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Count(result.Stdout, "Hello, World!"));
    }

    [SkippableTheory]
    [MemberData(nameof(TestBackends.All), MemberType = typeof(TestBackends))]
    public async Task RedisBenchmark_through_the_proxy_reaches_MiniRedis(string backend)
    {
        string benchmark = ExternalTool.Require("redis-benchmark");
        await using SampleProcess redis = await SampleProcess.StartAsync("MiniRedis", backend);
        await using SampleProcess proxy = await StartProxyAsync(backend, redis.Port);
        ExternalTool.ToolResult result = await ExternalTool.RunAsync(benchmark,
            ["-h", "127.0.0.1", "-p", proxy.Port.ToString(CultureInfo.InvariantCulture), "-q", "-n", "20000", "-t", "set,get", "-P", "16"], timeout: TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("SET: ", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("GET: ", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("ERR", result.Stdout + result.Stderr, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [MemberData(nameof(TestBackends.All), MemberType = typeof(TestBackends))]
    public async Task A_half_close_passes_through_and_the_reply_still_comes_back(string backend)
    {
        await using SampleProcess redis = await SampleProcess.StartAsync("MiniRedis", backend);
        await using SampleProcess proxy = await StartProxyAsync(backend, redis.Port);
        await using RawClient client = await RawClient.ConnectAsync(proxy.Port);
        await client.SendAsync("PING\r\nECHO after\r\n");
        client.ShutdownSend();

        // MiniRedis answers, sees the end of the request stream (passed on by the proxy), and closes; the proxy passes that on too.
        Assert.Equal("+PONG\r\n$5\r\nafter\r\n", await client.ReadToEndAsync());
    }

    [SkippableTheory]
    [MemberData(nameof(TestBackends.All), MemberType = typeof(TestBackends))]
    public async Task When_the_target_dies_the_client_side_is_closed_and_the_proxy_keeps_serving(string backend)
    {
        await using SampleProcess redis = await SampleProcess.StartAsync("MiniRedis", backend);
        await using SampleProcess proxy = await StartProxyAsync(backend, redis.Port);
        await using RawClient client = await RawClient.ConnectAsync(proxy.Port);
        await client.SendAsync("PING\r\n");
        Assert.Equal("+PONG\r\n", await client.ReadUntilAsync("\r\n"));
        await redis.KillAsync();
        Assert.Equal("", await client.ReadToEndAsync());

        // A new client is accepted and closed at once, since nothing listens at the target any more.
        await using RawClient next = await RawClient.ConnectAsync(proxy.Port);
        Assert.Equal("", await next.ReadToEndAsync());
        Assert.False(proxy.HasExited);
    }

    private static Task<SampleProcess> StartProxyAsync(string backend, int targetPort) =>
        SampleProcess.StartAsync("Proxy", backend, "--listen", "127.0.0.1:0", "--target", $"127.0.0.1:{targetPort}");
}
