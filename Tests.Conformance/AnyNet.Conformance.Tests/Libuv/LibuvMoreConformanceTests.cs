using AnyNet.Conformance;

// The synchronization primitives, memory object streams, threads, portals, virtual time and hosting on libuv.
namespace AnyNet.Conformance.Tests.Libuv;

public sealed class LibuvEventTests : EventConformance<LibuvFixture>;

public sealed class LibuvLockTests : LockConformance<LibuvFixture>;

public sealed class LibuvSemaphoreTests : SemaphoreConformance<LibuvFixture>;

public sealed class LibuvConditionTests : ConditionConformance<LibuvFixture>;

public sealed class LibuvResourceGuardTests : ResourceGuardConformance<LibuvFixture>;

public sealed class LibuvCapacityLimiterTests : CapacityLimiterConformance<LibuvFixture>;

public sealed class LibuvMemoryObjectStreamTests : MemoryObjectStreamConformance<LibuvFixture>;

public sealed class LibuvVirtualTimeTests : VirtualTimeConformance<LibuvFixture>;

public sealed class LibuvPortalTests : PortalConformance<LibuvFixture>;

public sealed class LibuvThreadsTests : ThreadsConformance<LibuvFixture>;

public sealed class LibuvHostingTests : HostingConformance<LibuvFixture>;
