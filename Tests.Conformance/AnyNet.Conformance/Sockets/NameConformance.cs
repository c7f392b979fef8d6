using System.Net;
using System.Net.Sockets;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>Name resolution and connecting by host name.</summary>
public abstract class NameConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    [SkippableFact]
    public virtual Task Localhost_resolves_to_a_loopback_address() => RunAsync(async (backend, token) =>
    {
        IPAddress[] addresses = await backend.ResolveAsync("localhost", cancellationToken: token);
        Assert.NotEmpty(addresses);
        Assert.All(addresses, a => Assert.True(IPAddress.IsLoopback(a), $"{a} is not a loopback address"));
    });

    [SkippableFact]
    public virtual Task Resolving_one_family_returns_only_that_family() => RunAsync(async (backend, token) =>
    {
        IPAddress[] addresses = await backend.ResolveAsync("localhost", AddressFamily.InterNetwork, token);
        Assert.NotEmpty(addresses);
        Assert.All(addresses, a => Assert.Equal(AddressFamily.InterNetwork, a.AddressFamily));
    });

    [SkippableFact]
    public virtual Task An_unknown_host_fails_with_NameResolutionException_naming_it() => RunAsync(async (backend, token) =>
    {
        const string Host = "no-such-host.invalid";
        var error = await Assert.ThrowsAsync<NameResolutionException>(async () => await backend.ResolveAsync(Host, cancellationToken: token));
        Assert.Equal(Host, error.Host);
        Assert.Contains(Host, error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<NameResolutionException>(async () => await backend.ConnectTcpAsync(Host, 80, token));
    });

    [SkippableFact]
    public virtual Task An_empty_host_is_rejected_with_ArgumentException() => RunAsync(async (backend, token) =>
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await backend.ResolveAsync(" ", cancellationToken: token));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await backend.ConnectTcpAsync(string.Empty, 80, token));
    });

    [SkippableFact]
    public virtual Task Connecting_by_host_name_reaches_the_listener() => RunAsync(async (backend, token) =>
    {
        await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
        int port = ((IPEndPoint)listener.LocalEndPoint).Port;
        ValueTask<ISocketStream> accept = listener.AcceptAsync(token);
        await using ISocketStream client = await backend.ConnectTcpAsync("localhost", port, token);
        await using ISocketStream server = await accept;
        await client.SendAsync("name"u8.ToArray(), token);
        Assert.Equal("name"u8.ToArray(), await server.ReceiveExactlyAsync(4, token));
    });

    [SkippableFact]
    public virtual Task Resolving_with_an_already_cancelled_token_throws_OperationCanceledException() => RunAsync(async (backend, _) =>
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await backend.ResolveAsync("localhost", cancellationToken: cancelled.Token));
    });
}
