using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Simulated;

public sealed class SimulatedBufferedStreamTests : BufferedStreamConformance<SimulatedFixture>;

public sealed class SimulatedBufferedTcpStreamTests : BufferedTcpStreamConformance<SimulatedFixture>;

public sealed class SimulatedBufferedMemoryStreamTests : BufferedMemoryStreamConformance<SimulatedFixture>;

public sealed class SimulatedStapledMemoryStreamTests : StapledMemoryStreamConformance<SimulatedFixture>;

public sealed class SimulatedStapledTcpStreamTests : StapledTcpStreamConformance<SimulatedFixture>;

public sealed class SimulatedStapledObjectStreamTests : StapledObjectStreamConformance<SimulatedFixture>;

public sealed class SimulatedLengthPrefixedTcpTests : LengthPrefixedTcpConformance<SimulatedFixture>;

public sealed class SimulatedLengthPrefixedMemoryTests : LengthPrefixedMemoryConformance<SimulatedFixture>;

public sealed class SimulatedLineFrameTcpTests : LineFrameTcpConformance<SimulatedFixture>;

public sealed class SimulatedLineFrameMemoryTests : LineFrameMemoryConformance<SimulatedFixture>;

public sealed class SimulatedFramingTests : FramingConformance<SimulatedFixture>;

public sealed class SimulatedTextStreamTests : TextStreamConformance<SimulatedFixture>;

public sealed class SimulatedBadInputServerTests : BadInputServerConformance<SimulatedFixture>;
