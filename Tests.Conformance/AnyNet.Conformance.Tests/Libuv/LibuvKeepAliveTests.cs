using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Libuv;

public sealed class LibuvKeepAliveTests : KeepAliveConformance<LibuvFixture>;
