using AnyNet.Backends.Libuv;
using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Libuv;

public sealed class LibuvFixture : IVirtualTimeBackendFixture
{
    public IAsyncBackend CreateBackend() => new LibuvBackend();

    public IAsyncBackend CreateBackend(TimeProvider clock) => new LibuvBackend(new LibuvBackendOptions { TimeProvider = clock });
}
