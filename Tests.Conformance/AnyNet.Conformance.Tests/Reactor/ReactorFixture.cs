using AnyNet.Backends.Reactor;
using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Reactor;

public sealed class ReactorFixture : IBackendFixture
{
    public IAsyncBackend CreateBackend() => new ReactorBackend();
}
