using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Tasks;

public sealed class TasksBufferedStreamTests : BufferedStreamConformance<TasksFixture>;

public sealed class TasksBufferedTcpStreamTests : BufferedTcpStreamConformance<TasksFixture>;

public sealed class TasksBufferedMemoryStreamTests : BufferedMemoryStreamConformance<TasksFixture>;
