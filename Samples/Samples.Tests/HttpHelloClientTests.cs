using System.Globalization;
using System.Text.RegularExpressions;
using AnyNet.Samples.Tests.Infrastructure;

namespace AnyNet.Samples.Tests;

/// <summary>HttpHello driven by curl, wrk and exact bytes, on every backend.</summary>
public sealed class HttpHelloClientTests
{
    [SkippableTheory]
    [MemberData(nameof(TestBackends.All), MemberType = typeof(TestBackends))]
    public async Task Curl_gets_plaintext_with_headers_over_one_kept_alive_connection(string backend)
    {
        string curl = ExternalTool.Require("curl");
        await using SampleProcess server = await SampleProcess.StartAsync("HttpHello", backend);
        string url = $"http://127.0.0.1:{server.Port}/plaintext";
        ExternalTool.ToolResult result = await ExternalTool.RunAsync(curl, ["-s", "-i", "-v", url, url]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(2, Regex.Count(result.Stdout, "HTTP/1.1 200 OK\r\n"));
        Assert.Equal(2, Regex.Count(result.Stdout, "Hello, World!"));
        Assert.Matches("(?m)^Content-Length: 13\r$", result.Stdout);
        Assert.Matches(@"(?m)^Date: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT\r$", result.Stdout);
        Assert.Matches("(?m)^Server: AnyNet\r$", result.Stdout);
        Assert.Contains("Re-using existing connection", result.Stderr, StringComparison.Ordinal);

        ExternalTool.ToolResult missing = await ExternalTool.RunAsync(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", $"http://127.0.0.1:{server.Port}/nothing"]);
        Assert.Equal("404", missing.Stdout);
    }

    [SkippableTheory]
    [MemberData(nameof(TestBackends.All), MemberType = typeof(TestBackends))]
    public async Task Wrk_runs_without_errors(string backend)
    {
        string wrk = ExternalTool.Require("wrk");
        await using SampleProcess server = await SampleProcess.StartAsync("HttpHello", backend);
        ExternalTool.ToolResult result = await ExternalTool.RunAsync(wrk, ["-t1", "-c20", "-d2", $"http://127.0.0.1:{server.Port}/plaintext"], timeout: TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, result.ToString());
        Match rate = Regex.Match(result.Stdout, @"Requests/sec:\s+([\d.]+)");
        Assert.True(rate.Success && double.Parse(rate.Groups[1].Value, CultureInfo.InvariantCulture) > 0, result.ToString());
        Assert.DoesNotContain("Non-2xx", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Socket errors", result.Stdout, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [MemberData(nameof(TestBackends.All), MemberType = typeof(TestBackends))]
    public async Task Pipelined_requests_get_responses_in_order(string backend)
    {
        await using SampleProcess server = await SampleProcess.StartAsync("HttpHello", backend);
        await using RawClient client = await RawClient.ConnectAsync(server.Port);
        await client.SendAsync(
            "GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n" +
            "GET /other HTTP/1.1\r\nHost: a\r\n\r\n" +
            "POST /plaintext HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nabcde" +
            "HEAD /plaintext HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
        string all = await client.ReadToEndAsync();
        string[] statuses = [.. Regex.Matches(all, "HTTP/1.1 (\\d{3}) ").Select(m => m.Groups[1].Value)];
        Assert.Equal(["200", "404", "405", "200"], statuses);

        // HEAD: the headers of the GET response, no body; and Connection: close ends the connection (ReadToEnd returned).
        Assert.EndsWith("Connection: close\r\n\r\n", all, StringComparison.Ordinal);
        Assert.Single(Regex.Matches(all, "Hello, World!"));
    }

    [SkippableTheory]
    [MemberData(nameof(TestBackends.All), MemberType = typeof(TestBackends))]
    public async Task Bad_requests_get_400_431_and_408_and_the_connection_closes(string backend)
    {
        await using SampleProcess server = await SampleProcess.StartAsync("HttpHello", backend, "--max-header-bytes", "1024", "--request-timeout", "300");

        await using (RawClient client = await RawClient.ConnectAsync(server.Port))
        {
            await client.SendAsync("GET /plaintext\r\nHost: a\r\n\r\n");
            Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", await client.ReadToEndAsync(), StringComparison.Ordinal);
        }

        await using (RawClient client = await RawClient.ConnectAsync(server.Port))
        {
            await client.SendAsync("GET /plaintext HTTP/1.1\r\nHost: a\r\nX-Big: " + new string('x', 2000) + "\r\n\r\n");
            Assert.StartsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n", await client.ReadToEndAsync(), StringComparison.Ordinal);
        }

        await using (RawClient client = await RawClient.ConnectAsync(server.Port))
        {
            // A whole request first (answered), then half a request and silence.
            await client.SendAsync("GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\nGET /plain");
            string all = await client.ReadToEndAsync();
            Assert.StartsWith("HTTP/1.1 200 OK\r\n", all, StringComparison.Ordinal);
            Assert.Contains("HTTP/1.1 408 Request Timeout\r\n", all, StringComparison.Ordinal);
            Assert.Contains("Connection: close\r\n", all, StringComparison.Ordinal);
        }
    }
}
