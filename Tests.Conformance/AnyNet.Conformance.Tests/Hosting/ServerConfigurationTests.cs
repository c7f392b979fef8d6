using AnyNet.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace AnyNet.Conformance.Tests.Hosting;

/// <summary>A bad value under <c>AnyNet:Servers:&lt;name&gt;</c> fails registration with one message naming its key and value.</summary>
public sealed class ServerConfigurationTests
{
    [Theory]
    [InlineData("MaxConnections", "-5")]
    [InlineData("MaxConnections", "0")]
    [InlineData("MaxConnections", "many")]
    [InlineData("Backlog", "-1")]
    [InlineData("DrainTimeout", "-00:00:01")]
    [InlineData("DrainTimeout", "banana")]
    [InlineData("IdleTimeout", "00:00:00")]
    [InlineData("ReusePort", "yes please")]
    [InlineData("MaxConnection", "10")]
    [InlineData("Endpoints:0", "tcp:abc")]
    public void A_bad_value_is_named_with_its_key_and_value(string key, string value)
    {
        HostApplicationBuilder builder = Builder(("Endpoints:1", "tcp:127.0.0.1:0"), (key, value));
        FormatException error = Assert.Throws<FormatException>(() => builder.AddAnyNetServerFromConfiguration<NoHandler>("app"));
        Assert.Contains($"AnyNet:Servers:app:{key}", error.Message, StringComparison.Ordinal);
        if (key != "MaxConnection")
        {
            Assert.Contains($"'{value}'", error.Message, StringComparison.Ordinal);
        }

        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_server_without_endpoints_and_without_defaults_is_an_error_naming_the_key()
    {
        HostApplicationBuilder builder = Builder(("MaxConnections", "5"));
        FormatException error = Assert.Throws<FormatException>(() => builder.AddAnyNetServerFromConfiguration<NoHandler>("app"));
        Assert.Contains("AnyNet:Servers:app:Endpoints", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnyNetHost_reports_a_negative_limit_as_one_line_and_exit_code_1()
    {
        var output = new StringWriter();
        int exitCode = await AnyNetHost.RunAsync(
            () =>
            {
                HostApplicationBuilder builder = Builder(("Endpoint", "tcp:127.0.0.1:0"), ("MaxConnections", "-3"));
                builder.AddAnyNetServerFromConfiguration<NoHandler>("app");
                return builder.Build();
            },
            output);
        Assert.Equal(1, exitCode);
        string line = Assert.Single(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("AnyNet:Servers:app:MaxConnections is '-3'", line, StringComparison.Ordinal);
    }

    private static HostApplicationBuilder Builder(params (string Key, string Value)[] settings)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>($"AnyNet:Servers:app:{s.Key}", s.Value)));
        return builder;
    }

    private sealed class NoHandler : IConnectionHandler
    {
        public Task HandleAsync(ISocketStream connection, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
