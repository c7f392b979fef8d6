using AnyNet.Backends.Tasks;
using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Tasks;

public sealed class TasksFixture : IBackendFixture
{
    public IAsyncBackend CreateBackend() => new TasksBackend();
}
