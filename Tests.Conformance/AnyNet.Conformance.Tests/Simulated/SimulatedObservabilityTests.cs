using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Simulated;

public sealed class SimulatedServerTelemetryTests : ServerTelemetryConformance<SimulatedFixture>;

public sealed class SimulatedHealthCheckTests : HealthCheckConformance<SimulatedFixture>;

public sealed class SimulatedServerConfigurationTests : ServerConfigurationConformance<SimulatedFixture>;

public sealed class SimulatedWaitAllTasksBlockedTests : WaitAllTasksBlockedConformance<SimulatedFixture>;

public sealed class SimulatedLoopCountersTests : LoopCountersConformance<SimulatedFixture>;
