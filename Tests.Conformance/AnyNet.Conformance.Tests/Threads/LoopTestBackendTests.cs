using AnyNet.Conformance;

// The threads, portal and virtual-time areas on a minimal in-test loop backend, so their loop-only rules run before the
// reactor and libuv backends are wired in.
namespace AnyNet.Conformance.Tests.Threads;

public sealed class LoopTestBackendThreadsTests : ThreadsConformance<LoopTestFixture>;

public sealed class LoopTestBackendPortalTests : PortalConformance<LoopTestFixture>;

public sealed class LoopTestBackendVirtualTimeTests : VirtualTimeConformance<LoopTestFixture>;

public sealed class LoopTestBackendRunTests : RunConformance<LoopTestFixture>;
