using AnyNet.Backends.Libuv;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace AnyNet.Conformance.Tests.Loops;

public sealed class LibuvLoopsTests : MultiLoopBackendTests
{
    protected override IAsyncBackend Create(int loops) => new LibuvBackend(new LibuvBackendOptions { Loops = loops });

    protected override int LoopCount(IAsyncBackend backend) => ((LibuvBackend)backend).LoopCount;

    [Fact]
    public void Loops_binds_from_configuration()
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["AnyNet:Libuv:Loops"] = "2" })
            .Build();
        LibuvBackendOptions options = configuration.GetSection("AnyNet:Libuv").Get<LibuvBackendOptions>()!;
        Assert.Equal(2, options.Loops);
        Assert.Equal(1, new LibuvBackendOptions().Loops);
    }
}
