using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Reactor;

public sealed class ReactorTlsOverTcpStreamTests : TlsOverTcpStreamConformance<ReactorFixture>;

public sealed class ReactorTlsOverUnixStreamTests : TlsOverUnixStreamConformance<ReactorFixture>;

public sealed class ReactorTlsOverMemoryStreamTests : TlsOverMemoryStreamConformance<ReactorFixture>;

public sealed class ReactorTlsTests : TlsConformance<ReactorFixture>;
