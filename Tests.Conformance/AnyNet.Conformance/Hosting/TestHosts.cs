using AnyNet.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AnyNet.Conformance;

/// <summary>Builds a real generic host whose AnyNet backend is the one under test, with a captured log and optional configuration.</summary>
internal static class TestHosts
{
    public const string BackendUnderTest = "under-test";

    public static TestHost Build(IBackendFixture fixture, Action<HostApplicationBuilder> configure, IEnumerable<KeyValuePair<string, string?>>? configuration = null)
    {
        var log = new TestLogSink();
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection([new(AnyNetOptions.SectionName + ":Backend", BackendUnderTest), .. configuration ?? []]);
        builder.Logging.AddProvider(log).SetMinimumLevel(LogLevel.Debug);
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(15));
        builder.AddAnyNet().AddBackend(BackendUnderTest, _ => fixture.CreateBackend());
        configure(builder);
        return new TestHost(builder.Build(), log);
    }
}
