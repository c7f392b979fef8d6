using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Tasks;

public sealed class TasksAllocationTests : AllocationConformance<TasksFixture>;
