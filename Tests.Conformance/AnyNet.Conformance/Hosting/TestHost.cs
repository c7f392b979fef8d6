using AnyNet.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>A real generic host built for one hosting test, with its captured log.</summary>
internal sealed class TestHost(IHost host, TestLogSink log) : IAsyncDisposable
{
    public IHost Host { get; } = host;

    public TestLogSink Log { get; } = log;

    public IServiceProvider Services => Host.Services;

    public IReadOnlyList<AnyNetServer> Servers => [.. Host.Services.GetServices<AnyNetServer>()];

    public AnyNetServer Server => Assert.Single(Servers);

    public IAsyncBackend Backend => Host.Services.GetRequiredService<IAsyncBackend>();

    public async ValueTask DisposeAsync()
    {
        // Stop first (a no-op when the test already stopped it) so that the backend is not disposed under running servers.
        using var stopLimit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await Host.StopAsync(stopLimit.Token);
        }
        finally
        {
            if (Host is IAsyncDisposable asyncDisposable)
            {
                await asyncDisposable.DisposeAsync();
            }
            else
            {
                Host.Dispose();
            }
        }
    }
}
