using AnyNet.Backends.Reactor;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace AnyNet.Conformance.Tests.Loops;

public sealed class ReactorLoopsTests : MultiLoopBackendTests
{
    protected override IAsyncBackend Create(int loops) => new ReactorBackend(new ReactorBackendOptions { Loops = loops });

    protected override int LoopCount(IAsyncBackend backend) => ((ReactorBackend)backend).LoopCount;

    [Fact]
    public void Loops_binds_from_configuration()
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["AnyNet:Reactor:Loops"] = "2" })
            .Build();
        ReactorBackendOptions options = configuration.GetSection("AnyNet:Reactor").Get<ReactorBackendOptions>()!;
        Assert.Equal(2, options.Loops);
        Assert.Equal(1, new ReactorBackendOptions().Loops);
    }
}
