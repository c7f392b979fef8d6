using System.Net;
using Xunit;

namespace AnyNet.Conformance.Tests.ApplicationTesting;

/// <summary>What an application author writes to run their own tests on every backend (the README's example).</summary>
public sealed class AnyNetBackendsTests
{
    [Theory, AnyNetBackends]
    public Task An_application_test_runs_once_on_each_backend(string backend) => AnyNetBackends.RunAsync(backend, async (b, token) =>
    {
        Assert.Equal(backend, b.Name);
        await using ISocketListener listener = b.ListenTcp(new IPEndPoint(IPAddress.Loopback, 0));
        await using ISocketStream client = await b.ConnectTcpAsync((IPEndPoint)listener.LocalEndPoint, token);
        await using ISocketStream server = await listener.AcceptAsync(token);
        await client.SendAsync("hi"u8.ToArray(), token);
        byte[] buffer = new byte[2];
        Assert.Equal(2, await server.ReceiveAsync(buffer, token));
    });

    [Fact]
    public void Every_referenced_backend_is_found_by_name()
    {
        Assert.Empty(AnyNetBackends.Unavailable);
        Assert.Superset(new HashSet<string> { "tasks", "reactor", "libuv" }, AnyNetBackends.Names.ToHashSet());
    }

    [Fact]
    public void The_attribute_yields_one_case_per_backend_or_only_the_named_ones()
    {
        var all = new AnyNetBackendsAttribute().GetData(null!).Select(row => (string)row[0]).ToArray();
        Assert.Equal(AnyNetBackends.Names, all);
        var only = new AnyNetBackendsAttribute("tasks").GetData(null!).Select(row => (string)row[0]).ToArray();
        Assert.Equal(["tasks"], only);
    }

    [Fact]
    public void An_unknown_name_is_an_error_that_lists_the_known_ones()
    {
        var error = Assert.Throws<ArgumentException>(() => AnyNetBackends.Create("bogus"));
        Assert.Contains("'bogus'", error.Message, StringComparison.Ordinal);
        Assert.Contains("tasks", error.Message, StringComparison.Ordinal);
    }
}
