using AnyNet.Backends.Tasks;
using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Tasks;

public sealed class TasksFixture : IVirtualTimeBackendFixture
{
    public IAsyncBackend CreateBackend() => new TasksBackend();

    public IAsyncBackend CreateBackend(TimeProvider clock) => new TasksBackend(new TasksBackendOptions { TimeProvider = clock });
}
