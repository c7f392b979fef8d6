using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Reactor;

public sealed class ReactorKeepAliveTests : KeepAliveConformance<ReactorFixture>;
