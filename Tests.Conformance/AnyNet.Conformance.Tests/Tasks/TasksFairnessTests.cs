using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Tasks;

public sealed class TasksFairnessTests : FairnessConformance<TasksFixture>;
