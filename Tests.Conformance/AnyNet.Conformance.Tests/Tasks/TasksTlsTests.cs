using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Tasks;

public sealed class TasksTlsOverTcpStreamTests : TlsOverTcpStreamConformance<TasksFixture>;

public sealed class TasksTlsOverUnixStreamTests : TlsOverUnixStreamConformance<TasksFixture>;

public sealed class TasksTlsOverMemoryStreamTests : TlsOverMemoryStreamConformance<TasksFixture>;

public sealed class TasksTlsTests : TlsConformance<TasksFixture>;
