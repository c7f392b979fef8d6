using AnyNet.Conformance;

// Issue 14's socket tools (typed attributes and options, listening everywhere, fd passing, foreign readiness) on the tasks backend.
namespace AnyNet.Conformance.Tests.Tasks;

public sealed class TasksTypedAttributeTests : TypedAttributeConformance<TasksFixture>;

public sealed class TasksListenEverywhereTests : ListenEverywhereConformance<TasksFixture>;
