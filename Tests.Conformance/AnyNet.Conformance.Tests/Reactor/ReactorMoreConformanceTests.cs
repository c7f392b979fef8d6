using AnyNet.Conformance;

// The synchronization, memory object stream, threads, portal, virtual-time and hosting areas on the reactor backend (on main
// they run for the tasks backend from Synchronization/, Threads/ and Hosting/).
namespace AnyNet.Conformance.Tests.Reactor;

public sealed class ReactorEventTests : EventConformance<ReactorFixture>;

public sealed class ReactorLockTests : LockConformance<ReactorFixture>;

public sealed class ReactorSemaphoreTests : SemaphoreConformance<ReactorFixture>;

public sealed class ReactorConditionTests : ConditionConformance<ReactorFixture>;

public sealed class ReactorResourceGuardTests : ResourceGuardConformance<ReactorFixture>;

public sealed class ReactorCapacityLimiterTests : CapacityLimiterConformance<ReactorFixture>;

public sealed class ReactorMemoryObjectStreamTests : MemoryObjectStreamConformance<ReactorFixture>;

public sealed class ReactorVirtualTimeTests : VirtualTimeConformance<ReactorFixture>;

public sealed class ReactorPortalTests : PortalConformance<ReactorFixture>;

public sealed class ReactorThreadsTests : ThreadsConformance<ReactorFixture>;

public sealed class ReactorHostingTests : HostingConformance<ReactorFixture>;
