using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Libuv;

public sealed class LibuvServerTelemetryTests : ServerTelemetryConformance<LibuvFixture>;

public sealed class LibuvHealthCheckTests : HealthCheckConformance<LibuvFixture>;

public sealed class LibuvServerConfigurationTests : ServerConfigurationConformance<LibuvFixture>;

public sealed class LibuvWaitAllTasksBlockedTests : WaitAllTasksBlockedConformance<LibuvFixture>;

public sealed class LibuvLoopCountersTests : LoopCountersConformance<LibuvFixture>;
