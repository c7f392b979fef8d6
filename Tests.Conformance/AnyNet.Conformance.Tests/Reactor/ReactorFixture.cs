using AnyNet.Backends.Reactor;
using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Reactor;

public sealed class ReactorFixture : IVirtualTimeBackendFixture
{
    public IAsyncBackend CreateBackend() => new ReactorBackend();

    public IAsyncBackend CreateBackend(TimeProvider clock) => new ReactorBackend(new ReactorBackendOptions { TimeProvider = clock });
}
