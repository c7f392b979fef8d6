using AnyNet.Conformance;

// One class per conformance area: this is all a backend author writes to run the suite.
namespace AnyNet.Conformance.Tests.Reactor;

public sealed class ReactorRunTests : RunConformance<ReactorFixture>;

public sealed class ReactorTimeTests : TimeConformance<ReactorFixture>;

public sealed class ReactorTaskGroupTests : TaskGroupConformance<ReactorFixture>;

public sealed class ReactorCancelScopeTests : CancelScopeConformance<ReactorFixture>;

public sealed class ReactorTcpTests : TcpConformance<ReactorFixture>;

public sealed class ReactorUnixTests : UnixConformance<ReactorFixture>;

public sealed class ReactorUdpTests : UdpConformance<ReactorFixture>;

public sealed class ReactorNameTests : NameConformance<ReactorFixture>;

public sealed class ReactorServerTests : ServerConformance<ReactorFixture>;

public sealed class ReactorTcpStreamTests : TcpStreamConformance<ReactorFixture>;

public sealed class ReactorTcp6StreamTests : Tcp6StreamConformance<ReactorFixture>;

public sealed class ReactorUnixStreamTests : UnixStreamConformance<ReactorFixture>;

public sealed class ReactorMemoryStreamTests : MemoryStreamPairConformance<ReactorFixture>;
