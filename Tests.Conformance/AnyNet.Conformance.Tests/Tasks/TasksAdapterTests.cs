using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Tasks;

public sealed class TasksAdapterTests : AdapterConformance<TasksFixture>;

public sealed class TasksStreamRoundTripStreamTests : StreamRoundTripStreamConformance<TasksFixture>;

public sealed class TasksDuplexPipeRoundTripStreamTests : DuplexPipeRoundTripStreamConformance<TasksFixture>;
