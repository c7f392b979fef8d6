using System.Net;
using System.Net.Sockets;
using Xunit;

namespace AnyNet.Conformance.Tests.Samples;

/// <summary>
/// Bad configuration of the hosted sample ends it with exit code 1 and one line on standard error naming the key and the
/// value, never an unhandled exception, its stack trace and SIGABRT (exit code 134), on every backend.
/// </summary>
public sealed class HostedEchoConfigurationTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (string backend in new[] { "tasks", "reactor", "libuv" })
        {
            foreach (string name in new[] { "tcp:abc", "tcp:99999", "unix:", "foo:1", "backend", "drain", "in-use", "missing-dir" })
            {
                data.Add(backend, name);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_bad_setting_is_one_line_naming_key_and_value_and_exit_code_1(string backend, string name)
    {
        using var occupied = new TcpListener(IPAddress.Loopback, 0);
        occupied.Start();
        int busyPort = ((IPEndPoint)occupied.LocalEndpoint).Port;
        string missing = $"/tmp/anynet-missing-{Guid.NewGuid():N}/echo.sock";

        (string argument, string key, string value) = name switch
        {
            "backend" => ("--AnyNet:Backend=bogus", "AnyNet:Backend", "bogus"),
            "drain" => ("--AnyNet:DrainTimeout=banana", "AnyNet:DrainTimeout", "banana"),
            "in-use" => ($"--HostedEcho:Endpoints:0=tcp:127.0.0.1:{busyPort}", "HostedEcho:Endpoints:0", $"tcp:127.0.0.1:{busyPort}"),
            "missing-dir" => ($"--HostedEcho:Endpoints:0=unix:{missing}", "HostedEcho:Endpoints:0", $"unix:{missing}"),
            _ => ($"--HostedEcho:Endpoints:0={name}", "HostedEcho:Endpoints:0", name),
        };

        // The bogus backend name is the backend under test only by way of --backend; the setting wins when it comes later.
        await using HostedEchoProcess child = HostedEchoProcess.Start(backend, [argument]);
        int exitCode = await child.WaitForExitAsync(s_timeout);

        string stderr = string.Join('\n', child.StandardError);
        string stdout = string.Join('\n', child.StandardOutput);
        Assert.True(exitCode == 1, $"exit code {exitCode}; stderr:\n{stderr}");
        string line = Assert.Single(child.StandardError, l => l.Length > 0);
        Assert.Contains(key, line, StringComparison.Ordinal);
        Assert.Contains(value, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", stderr, StringComparison.Ordinal);
        if (name == "missing-dir")
        {
            Assert.Contains("No such file or directory", line, StringComparison.Ordinal);
        }
    }
}
