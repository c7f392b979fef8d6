using AnyNet.Conformance;

// The observability and test-support areas on the libuv backend with two loops: counters add up over both loops, and
// WaitAllTasksBlockedAsync is refused (it needs a single loop) through the capability.
namespace AnyNet.Conformance.Tests.Loops;

public sealed class LibuvTwoLoopsHealthCheckTests : HealthCheckConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsLoopCountersTests : LoopCountersConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsServerConfigurationTests : ServerConfigurationConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsServerTelemetryTests : ServerTelemetryConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsWaitAllTasksBlockedTests : WaitAllTasksBlockedConformance<LibuvTwoLoopsFixture>;
