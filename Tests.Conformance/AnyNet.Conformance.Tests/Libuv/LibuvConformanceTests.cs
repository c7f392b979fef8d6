using AnyNet.Conformance;

// One class per conformance area: this is all a backend author writes to run the suite.
namespace AnyNet.Conformance.Tests.Libuv;

public sealed class LibuvRunTests : RunConformance<LibuvFixture>;

public sealed class LibuvTimeTests : TimeConformance<LibuvFixture>;

public sealed class LibuvTaskGroupTests : TaskGroupConformance<LibuvFixture>;

public sealed class LibuvCancelScopeTests : CancelScopeConformance<LibuvFixture>;

public sealed class LibuvTcpTests : TcpConformance<LibuvFixture>;

public sealed class LibuvUnixTests : UnixConformance<LibuvFixture>;

public sealed class LibuvUdpTests : UdpConformance<LibuvFixture>;

public sealed class LibuvNameTests : NameConformance<LibuvFixture>;

public sealed class LibuvServerTests : ServerConformance<LibuvFixture>;

public sealed class LibuvTcpStreamTests : TcpStreamConformance<LibuvFixture>;

public sealed class LibuvTcp6StreamTests : Tcp6StreamConformance<LibuvFixture>;

public sealed class LibuvUnixStreamTests : UnixStreamConformance<LibuvFixture>;

public sealed class LibuvMemoryStreamTests : MemoryStreamPairConformance<LibuvFixture>;
