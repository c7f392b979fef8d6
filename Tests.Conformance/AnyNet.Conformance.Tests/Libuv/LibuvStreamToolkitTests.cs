using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Libuv;

public sealed class LibuvBufferedStreamTests : BufferedStreamConformance<LibuvFixture>;

public sealed class LibuvBufferedTcpStreamTests : BufferedTcpStreamConformance<LibuvFixture>;

public sealed class LibuvBufferedMemoryStreamTests : BufferedMemoryStreamConformance<LibuvFixture>;

public sealed class LibuvStapledMemoryStreamTests : StapledMemoryStreamConformance<LibuvFixture>;

public sealed class LibuvStapledTcpStreamTests : StapledTcpStreamConformance<LibuvFixture>;

public sealed class LibuvStapledObjectStreamTests : StapledObjectStreamConformance<LibuvFixture>;

public sealed class LibuvLengthPrefixedTcpTests : LengthPrefixedTcpConformance<LibuvFixture>;

public sealed class LibuvLengthPrefixedMemoryTests : LengthPrefixedMemoryConformance<LibuvFixture>;

public sealed class LibuvLineFrameTcpTests : LineFrameTcpConformance<LibuvFixture>;

public sealed class LibuvLineFrameMemoryTests : LineFrameMemoryConformance<LibuvFixture>;

public sealed class LibuvFramingTests : FramingConformance<LibuvFixture>;

public sealed class LibuvTextStreamTests : TextStreamConformance<LibuvFixture>;

public sealed class LibuvBadInputServerTests : BadInputServerConformance<LibuvFixture>;
