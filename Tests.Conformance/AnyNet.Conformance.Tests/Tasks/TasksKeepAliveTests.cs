using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Tasks;

public sealed class TasksKeepAliveTests : KeepAliveConformance<TasksFixture>;
