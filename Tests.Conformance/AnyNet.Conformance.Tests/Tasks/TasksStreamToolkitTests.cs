using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Tasks;

public sealed class TasksBufferedStreamTests : BufferedStreamConformance<TasksFixture>;

public sealed class TasksBufferedTcpStreamTests : BufferedTcpStreamConformance<TasksFixture>;

public sealed class TasksBufferedMemoryStreamTests : BufferedMemoryStreamConformance<TasksFixture>;

public sealed class TasksStapledMemoryStreamTests : StapledMemoryStreamConformance<TasksFixture>;

public sealed class TasksStapledTcpStreamTests : StapledTcpStreamConformance<TasksFixture>;

public sealed class TasksStapledObjectStreamTests : StapledObjectStreamConformance<TasksFixture>;

public sealed class TasksLengthPrefixedTcpTests : LengthPrefixedTcpConformance<TasksFixture>;

public sealed class TasksLengthPrefixedMemoryTests : LengthPrefixedMemoryConformance<TasksFixture>;

public sealed class TasksLineFrameTcpTests : LineFrameTcpConformance<TasksFixture>;

public sealed class TasksLineFrameMemoryTests : LineFrameMemoryConformance<TasksFixture>;

public sealed class TasksFramingTests : FramingConformance<TasksFixture>;

public sealed class TasksTextStreamTests : TextStreamConformance<TasksFixture>;

public sealed class TasksBadInputServerTests : BadInputServerConformance<TasksFixture>;
