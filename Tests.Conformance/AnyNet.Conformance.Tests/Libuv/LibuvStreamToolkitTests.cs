using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Libuv;

public sealed class LibuvBufferedStreamTests : BufferedStreamConformance<LibuvFixture>;

public sealed class LibuvBufferedTcpStreamTests : BufferedTcpStreamConformance<LibuvFixture>;

public sealed class LibuvBufferedMemoryStreamTests : BufferedMemoryStreamConformance<LibuvFixture>;
