using AnyNet.Backends.Reactor;
using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Loops;

/// <summary>The reactor backend with two loops: every area of the suite must pass on it as on one loop.</summary>
public sealed class ReactorTwoLoopsFixture : IVirtualTimeBackendFixture
{
    public IAsyncBackend CreateBackend() => new ReactorBackend(new ReactorBackendOptions { Loops = 2 });

    public IAsyncBackend CreateBackend(TimeProvider clock) => new ReactorBackend(new ReactorBackendOptions { Loops = 2, TimeProvider = clock });
}
