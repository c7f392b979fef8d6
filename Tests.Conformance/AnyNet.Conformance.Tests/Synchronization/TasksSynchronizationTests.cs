using AnyNet.Conformance.Tests.Tasks;

// The synchronization primitives and memory object streams on the tasks backend.
namespace AnyNet.Conformance.Tests.Synchronization;

public sealed class TasksEventTests : EventConformance<TasksFixture>;

public sealed class TasksLockTests : LockConformance<TasksFixture>;

public sealed class TasksSemaphoreTests : SemaphoreConformance<TasksFixture>;

public sealed class TasksConditionTests : ConditionConformance<TasksFixture>;

public sealed class TasksResourceGuardTests : ResourceGuardConformance<TasksFixture>;

public sealed class TasksCapacityLimiterTests : CapacityLimiterConformance<TasksFixture>;

public sealed class TasksMemoryObjectStreamTests : MemoryObjectStreamConformance<TasksFixture>;
