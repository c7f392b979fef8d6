using AnyNet.Conformance;

// The observability and test-support areas on the reactor backend with two loops: counters add up over both loops, and
// WaitAllTasksBlockedAsync is refused (it needs a single loop) through the capability.
namespace AnyNet.Conformance.Tests.Loops;

public sealed class ReactorTwoLoopsHealthCheckTests : HealthCheckConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsLoopCountersTests : LoopCountersConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsServerConfigurationTests : ServerConfigurationConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsServerTelemetryTests : ServerTelemetryConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsWaitAllTasksBlockedTests : WaitAllTasksBlockedConformance<ReactorTwoLoopsFixture>;
