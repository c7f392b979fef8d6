using AnyNet.Conformance.AspNetCore;

namespace AnyNet.Conformance.Tests.Reactor;

public sealed class ReactorAspNetCoreTests : AspNetCoreConformance<ReactorFixture>;
