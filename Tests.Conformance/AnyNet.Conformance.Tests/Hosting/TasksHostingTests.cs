using AnyNet.Conformance.Tests.Tasks;

namespace AnyNet.Conformance.Tests.Hosting;

public sealed class TasksHostingTests : HostingConformance<TasksFixture>;
