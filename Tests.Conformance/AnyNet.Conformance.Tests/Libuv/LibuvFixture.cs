using AnyNet.Backends.Libuv;
using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Libuv;

public sealed class LibuvFixture : IBackendFixture
{
    public IAsyncBackend CreateBackend() => new LibuvBackend();
}
