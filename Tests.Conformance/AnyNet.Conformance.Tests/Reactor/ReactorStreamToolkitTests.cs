using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Reactor;

public sealed class ReactorBufferedStreamTests : BufferedStreamConformance<ReactorFixture>;

public sealed class ReactorBufferedTcpStreamTests : BufferedTcpStreamConformance<ReactorFixture>;

public sealed class ReactorBufferedMemoryStreamTests : BufferedMemoryStreamConformance<ReactorFixture>;
