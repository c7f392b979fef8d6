using AnyNet.Conformance;
using AnyNet.Conformance.Tests.Tasks;

// The threads, portal and virtual-time areas on the Tasks backend.
namespace AnyNet.Conformance.Tests.Threads;

public sealed class TasksVirtualTimeTests : VirtualTimeConformance<TasksFixture>;

public sealed class TasksPortalTests : PortalConformance<TasksFixture>;

public sealed class TasksThreadsTests : ThreadsConformance<TasksFixture>;
