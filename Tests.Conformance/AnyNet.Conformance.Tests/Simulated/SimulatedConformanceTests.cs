using AnyNet.Conformance;

// One class per conformance area: this is all a backend author writes to run the suite.
namespace AnyNet.Conformance.Tests.Simulated;

public sealed class SimulatedRunTests : RunConformance<SimulatedFixture>;

public sealed class SimulatedTimeTests : TimeConformance<SimulatedFixture>;

public sealed class SimulatedTaskGroupTests : TaskGroupConformance<SimulatedFixture>;

public sealed class SimulatedCancelScopeTests : CancelScopeConformance<SimulatedFixture>;

public sealed class SimulatedTcpTests : TcpConformance<SimulatedFixture>;

public sealed class SimulatedUnixTests : UnixConformance<SimulatedFixture>;

public sealed class SimulatedUdpTests : UdpConformance<SimulatedFixture>;

public sealed class SimulatedNameTests : NameConformance<SimulatedFixture>;

public sealed class SimulatedServerTests : ServerConformance<SimulatedFixture>;

public sealed class SimulatedTcpStreamTests : TcpStreamConformance<SimulatedFixture>;

public sealed class SimulatedTcp6StreamTests : Tcp6StreamConformance<SimulatedFixture>;

public sealed class SimulatedUnixStreamTests : UnixStreamConformance<SimulatedFixture>;

public sealed class SimulatedMemoryStreamTests : MemoryStreamPairConformance<SimulatedFixture>;
