using AnyNet.Backends.Libuv;
using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Loops;

/// <summary>The libuv backend with two loops: every area of the suite must pass on it as on one loop.</summary>
public sealed class LibuvTwoLoopsFixture : IVirtualTimeBackendFixture
{
    public IAsyncBackend CreateBackend() => new LibuvBackend(new LibuvBackendOptions { Loops = 2 });

    public IAsyncBackend CreateBackend(TimeProvider clock) => new LibuvBackend(new LibuvBackendOptions { Loops = 2, TimeProvider = clock });
}
