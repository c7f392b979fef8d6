using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Tasks;

public sealed class TasksServerTelemetryTests : ServerTelemetryConformance<TasksFixture>;

public sealed class TasksHealthCheckTests : HealthCheckConformance<TasksFixture>;

public sealed class TasksServerConfigurationTests : ServerConfigurationConformance<TasksFixture>;

public sealed class TasksWaitAllTasksBlockedTests : WaitAllTasksBlockedConformance<TasksFixture>;

public sealed class TasksLoopCountersTests : LoopCountersConformance<TasksFixture>;
