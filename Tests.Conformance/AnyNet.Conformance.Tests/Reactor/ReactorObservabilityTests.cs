using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Reactor;

public sealed class ReactorServerTelemetryTests : ServerTelemetryConformance<ReactorFixture>;

public sealed class ReactorHealthCheckTests : HealthCheckConformance<ReactorFixture>;

public sealed class ReactorServerConfigurationTests : ServerConfigurationConformance<ReactorFixture>;

public sealed class ReactorWaitAllTasksBlockedTests : WaitAllTasksBlockedConformance<ReactorFixture>;

public sealed class ReactorLoopCountersTests : LoopCountersConformance<ReactorFixture>;
