using AnyNet.Conformance;

// The synchronization, memory object stream, threads, portal, virtual-time and hosting areas on the sim backend (on main
// they run for the tasks backend from Synchronization/, Threads/ and Hosting/).
namespace AnyNet.Conformance.Tests.Simulated;

public sealed class SimulatedEventTests : EventConformance<SimulatedFixture>;

public sealed class SimulatedLockTests : LockConformance<SimulatedFixture>;

public sealed class SimulatedSemaphoreTests : SemaphoreConformance<SimulatedFixture>;

public sealed class SimulatedConditionTests : ConditionConformance<SimulatedFixture>;

public sealed class SimulatedResourceGuardTests : ResourceGuardConformance<SimulatedFixture>;

public sealed class SimulatedCapacityLimiterTests : CapacityLimiterConformance<SimulatedFixture>;

public sealed class SimulatedMemoryObjectStreamTests : MemoryObjectStreamConformance<SimulatedFixture>;

public sealed class SimulatedVirtualTimeTests : VirtualTimeConformance<SimulatedFixture>;

public sealed class SimulatedPortalTests : PortalConformance<SimulatedFixture>;

public sealed class SimulatedThreadsTests : ThreadsConformance<SimulatedFixture>;

public sealed class SimulatedHostingTests : HostingConformance<SimulatedFixture>;
