using AnyNet.Conformance;

// One class per conformance area: this is all a backend author writes to run the suite.
namespace AnyNet.Conformance.Tests.Tasks;

public sealed class TasksRunTests : RunConformance<TasksFixture>;

public sealed class TasksTimeTests : TimeConformance<TasksFixture>;

public sealed class TasksTaskGroupTests : TaskGroupConformance<TasksFixture>;

public sealed class TasksCancelScopeTests : CancelScopeConformance<TasksFixture>;

public sealed class TasksTcpTests : TcpConformance<TasksFixture>;

public sealed class TasksUnixTests : UnixConformance<TasksFixture>;

public sealed class TasksUdpTests : UdpConformance<TasksFixture>;

public sealed class TasksNameTests : NameConformance<TasksFixture>;

public sealed class TasksServerTests : ServerConformance<TasksFixture>;

public sealed class TasksTcpStreamTests : TcpStreamConformance<TasksFixture>;

public sealed class TasksTcp6StreamTests : Tcp6StreamConformance<TasksFixture>;

public sealed class TasksUnixStreamTests : UnixStreamConformance<TasksFixture>;

public sealed class TasksMemoryStreamTests : MemoryStreamPairConformance<TasksFixture>;
