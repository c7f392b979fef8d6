using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Libuv;

public sealed class LibuvTlsOverTcpStreamTests : TlsOverTcpStreamConformance<LibuvFixture>;

public sealed class LibuvTlsOverUnixStreamTests : TlsOverUnixStreamConformance<LibuvFixture>;

public sealed class LibuvTlsOverMemoryStreamTests : TlsOverMemoryStreamConformance<LibuvFixture>;

public sealed class LibuvTlsTests : TlsConformance<LibuvFixture>;
