using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Reactor;

public sealed class ReactorBufferedStreamTests : BufferedStreamConformance<ReactorFixture>;

public sealed class ReactorBufferedTcpStreamTests : BufferedTcpStreamConformance<ReactorFixture>;

public sealed class ReactorBufferedMemoryStreamTests : BufferedMemoryStreamConformance<ReactorFixture>;

public sealed class ReactorStapledMemoryStreamTests : StapledMemoryStreamConformance<ReactorFixture>;

public sealed class ReactorStapledTcpStreamTests : StapledTcpStreamConformance<ReactorFixture>;

public sealed class ReactorStapledObjectStreamTests : StapledObjectStreamConformance<ReactorFixture>;

public sealed class ReactorLengthPrefixedTcpTests : LengthPrefixedTcpConformance<ReactorFixture>;

public sealed class ReactorLengthPrefixedMemoryTests : LengthPrefixedMemoryConformance<ReactorFixture>;

public sealed class ReactorLineFrameTcpTests : LineFrameTcpConformance<ReactorFixture>;

public sealed class ReactorLineFrameMemoryTests : LineFrameMemoryConformance<ReactorFixture>;

public sealed class ReactorFramingTests : FramingConformance<ReactorFixture>;

public sealed class ReactorTextStreamTests : TextStreamConformance<ReactorFixture>;

public sealed class ReactorBadInputServerTests : BadInputServerConformance<ReactorFixture>;
