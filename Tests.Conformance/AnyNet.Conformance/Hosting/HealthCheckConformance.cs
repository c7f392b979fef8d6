using System.Net;
using AnyNet.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// The health check of hosted servers (<c>services.AddHealthChecks().AddAnyNetServers()</c>): healthy while every server
/// listens, unhealthy (never an exception) before start, after a failed bind and after stop.
/// </summary>
public abstract class HealthCheckConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    private const string Loopback = "tcp:127.0.0.1:0";

    [SkippableFact]
    public virtual Task Servers_are_healthy_while_listening_and_unhealthy_before_start_and_after_stop() => RunAsync(async (client, token) =>
    {
        await using TestHost host = TestHosts.Build(Fixture, builder =>
        {
            builder.AddAnyNetServer(Loopback, (connection, t) => connection.SendAsync("hi"u8.ToArray(), t).AsTask());
            builder.AddAnyNetServer(Loopback, (connection, t) => connection.SendAsync("hi"u8.ToArray(), t).AsTask());
            builder.Services.AddHealthChecks().AddAnyNetServers(tags: ["ready"]);
        });
        HealthCheckService health = host.Services.GetRequiredService<HealthCheckService>();

        HealthReport before = await health.CheckHealthAsync(token);
        Assert.Equal(HealthStatus.Unhealthy, before.Status);
        Assert.Contains("not listening", before.Entries[AnyNetHealthChecksBuilderExtensions.DefaultName].Description, StringComparison.Ordinal);

        await host.Host.StartAsync(token);
        HealthReport listening = await health.CheckHealthAsync(token);
        Assert.Equal(HealthStatus.Healthy, listening.Status);
        HealthReportEntry entry = listening.Entries[AnyNetHealthChecksBuilderExtensions.DefaultName];
        Assert.Equal(2, entry.Data.Count);
        Assert.Contains(host.Servers[0].LocalEndPoint!.ToString(), entry.Data.Keys);
        Assert.Equal(["ready"], entry.Tags);
        Assert.Equal("hi"u8.ToArray(), await ReceiveAllAsync(client, host.Servers[0].LocalEndPoint!, token));

        await host.Host.StopAsync(token);
        HealthReport stopped = await health.CheckHealthAsync(token);
        Assert.Equal(HealthStatus.Unhealthy, stopped.Status);
        Assert.Null(stopped.Entries[AnyNetHealthChecksBuilderExtensions.DefaultName].Exception);
        Assert.Contains(host.Servers[1].LocalEndPoint!.ToString(), stopped.Entries[AnyNetHealthChecksBuilderExtensions.DefaultName].Description, StringComparison.Ordinal);
    });

    [SkippableFact]
    public virtual Task A_server_that_failed_to_bind_reports_the_chosen_failure_status() => RunAsync(async (client, token) =>
    {
        await using ISocketListener taken = client.ListenTcp(StreamTestHelpers.Loopback4);
        string endpoint = $"tcp:127.0.0.1:{((IPEndPoint)taken.LocalEndPoint).Port}";
        await using TestHost host = TestHosts.Build(Fixture, builder =>
        {
            builder.AddAnyNetServer(endpoint, (_, _) => Task.CompletedTask);
            builder.Services.AddHealthChecks().AddAnyNetServers("servers", HealthStatus.Degraded);
        });
        await Assert.ThrowsAsync<IOException>(() => host.Host.StartAsync(token));

        HealthReport report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(token);
        HealthReportEntry entry = report.Entries["servers"];
        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Contains(endpoint, entry.Description, StringComparison.Ordinal);
        Assert.Null(entry.Exception);
    });

    private static async Task<byte[]> ReceiveAllAsync(IAsyncBackend client, AnyNetEndPoint endPoint, CancellationToken token)
    {
        await using ISocketStream connection = await client.ConnectAsync(endPoint, token);
        return await connection.ReceiveToEndAsync(cancellationToken: token);
    }
}
