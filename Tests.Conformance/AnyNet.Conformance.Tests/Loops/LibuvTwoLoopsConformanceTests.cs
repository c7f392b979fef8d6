using AnyNet.Conformance;
using AnyNet.Conformance.AspNetCore;

// Every conformance area on the libuv backend with two loops (LibuvBackendOptions.Loops = 2): sockets, servers and
// hosting then hand connections from one loop to the other, and calls cross loops.
namespace AnyNet.Conformance.Tests.Loops;

public sealed class LibuvTwoLoopsAdapterTests : AdapterConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsAspNetCoreTests : AspNetCoreConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsBadInputServerTests : BadInputServerConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsBufferedMemoryStreamTests : BufferedMemoryStreamConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsBufferedStreamTests : BufferedStreamConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsBufferedTcpStreamTests : BufferedTcpStreamConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsCancelScopeTests : CancelScopeConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsCapacityLimiterTests : CapacityLimiterConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsConditionTests : ConditionConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsDuplexPipeRoundTripStreamTests : DuplexPipeRoundTripStreamConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsEventTests : EventConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsFairnessTests : FairnessConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsFileTests : FileConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsFramingTests : FramingConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsHostingTests : HostingConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsKeepAliveTests : KeepAliveConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsLeakTests : LeakConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsLengthPrefixedMemoryTests : LengthPrefixedMemoryConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsLengthPrefixedTcpTests : LengthPrefixedTcpConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsLineFrameMemoryTests : LineFrameMemoryConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsLineFrameTcpTests : LineFrameTcpConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsListenEverywhereTests : ListenEverywhereConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsLockTests : LockConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsMemoryObjectStreamTests : MemoryObjectStreamConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsMemoryStreamPairTests : MemoryStreamPairConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsNameTests : NameConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsPortalTests : PortalConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsProcessTests : ProcessConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsResourceGuardTests : ResourceGuardConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsRunTests : RunConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsSemaphoreTests : SemaphoreConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsServerTests : ServerConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsSignalTests : SignalConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsStapledMemoryStreamTests : StapledMemoryStreamConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsStapledObjectStreamTests : StapledObjectStreamConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsStapledTcpStreamTests : StapledTcpStreamConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsStreamRoundTripStreamTests : StreamRoundTripStreamConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsTaskGroupTests : TaskGroupConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsTcp6StreamTests : Tcp6StreamConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsTcpTests : TcpConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsTcpStreamTests : TcpStreamConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsTelemetryTests : TelemetryConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsTextStreamTests : TextStreamConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsThreadsTests : ThreadsConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsTimeTests : TimeConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsTlsTests : TlsConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsTlsOverMemoryStreamTests : TlsOverMemoryStreamConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsTlsOverTcpStreamTests : TlsOverTcpStreamConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsTlsOverUnixStreamTests : TlsOverUnixStreamConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsTypedAttributeTests : TypedAttributeConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsUdpTests : UdpConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsUnixTests : UnixConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsUnixStreamTests : UnixStreamConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsVirtualTimeTests : VirtualTimeConformance<LibuvTwoLoopsFixture>;
