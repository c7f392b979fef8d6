using AnyNet.Conformance;
using AnyNet.Conformance.AspNetCore;

// Every conformance area on the reactor backend with two loops (ReactorBackendOptions.Loops = 2): sockets, servers and
// hosting then hand connections from one loop to the other, and calls cross loops.
namespace AnyNet.Conformance.Tests.Loops;

public sealed class ReactorTwoLoopsAdapterTests : AdapterConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsAspNetCoreTests : AspNetCoreConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsBadInputServerTests : BadInputServerConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsBufferedMemoryStreamTests : BufferedMemoryStreamConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsBufferedStreamTests : BufferedStreamConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsBufferedTcpStreamTests : BufferedTcpStreamConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsCancelScopeTests : CancelScopeConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsCapacityLimiterTests : CapacityLimiterConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsConditionTests : ConditionConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsDuplexPipeRoundTripStreamTests : DuplexPipeRoundTripStreamConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsEventTests : EventConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsFairnessTests : FairnessConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsFileTests : FileConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsFramingTests : FramingConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsHostingTests : HostingConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsKeepAliveTests : KeepAliveConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsLeakTests : LeakConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsLengthPrefixedMemoryTests : LengthPrefixedMemoryConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsLengthPrefixedTcpTests : LengthPrefixedTcpConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsLineFrameMemoryTests : LineFrameMemoryConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsLineFrameTcpTests : LineFrameTcpConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsListenEverywhereTests : ListenEverywhereConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsLockTests : LockConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsMemoryObjectStreamTests : MemoryObjectStreamConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsMemoryStreamPairTests : MemoryStreamPairConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsNameTests : NameConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsPortalTests : PortalConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsProcessTests : ProcessConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsResourceGuardTests : ResourceGuardConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsRunTests : RunConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsSemaphoreTests : SemaphoreConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsServerTests : ServerConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsSignalTests : SignalConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsStapledMemoryStreamTests : StapledMemoryStreamConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsStapledObjectStreamTests : StapledObjectStreamConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsStapledTcpStreamTests : StapledTcpStreamConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsStreamRoundTripStreamTests : StreamRoundTripStreamConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsTaskGroupTests : TaskGroupConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsTcp6StreamTests : Tcp6StreamConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsTcpTests : TcpConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsTcpStreamTests : TcpStreamConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsTelemetryTests : TelemetryConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsTextStreamTests : TextStreamConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsThreadsTests : ThreadsConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsTimeTests : TimeConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsTlsTests : TlsConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsTlsOverMemoryStreamTests : TlsOverMemoryStreamConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsTlsOverTcpStreamTests : TlsOverTcpStreamConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsTlsOverUnixStreamTests : TlsOverUnixStreamConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsTypedAttributeTests : TypedAttributeConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsUdpTests : UdpConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsUnixTests : UnixConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsUnixStreamTests : UnixStreamConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsVirtualTimeTests : VirtualTimeConformance<ReactorTwoLoopsFixture>;
