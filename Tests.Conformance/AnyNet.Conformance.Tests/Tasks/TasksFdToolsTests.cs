using AnyNet.Conformance;

// Issue 14's descriptor tools (fd passing over Unix sockets, readiness of foreign descriptors) on the tasks backend.
namespace AnyNet.Conformance.Tests.Tasks;

public sealed class TasksFdPassingTests : FdPassingConformance<TasksFixture>;

public sealed class TasksForeignReadinessTests : ForeignReadinessConformance<TasksFixture>;
